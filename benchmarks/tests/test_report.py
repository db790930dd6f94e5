import pytest

from benchmarks import report
from benchmarks.contenders import CONCURRENCY, MEMORY, PERCALL, POOL, REGISTRY


def test_median_of_odd_and_even_counts():
    assert report.median([3.0, 1.0, 2.0]) == 2.0
    assert report.median([4.0, 1.0, 2.0, 3.0]) == 2.5


def test_median_needs_samples():
    with pytest.raises(ValueError):
        report.median([])


def test_ratio():
    assert report.ratio(3.0, 1.5) == 2.0
    assert report.ratio(None, 1.0) is None
    assert report.ratio(1.0, None) is None
    assert report.ratio(1.0, 0.0) is None


@pytest.mark.parametrize(
    "seconds, text",
    [(0.000123, "123 µs"), (0.00231, "2.31 ms"), (1.5, "1.50 s")],
)
def test_format_seconds(seconds, text):
    assert report.format_seconds(seconds) == text


def test_format_bytes_and_ratio():
    assert report.format_bytes(2048) == "2 KiB"
    assert report.format_bytes(3 * 1024 * 1024) == "3.0 MiB"
    assert report.format_ratio(2.345) == "2.35x"
    assert report.format_ratio(None) == "–"


def test_markdown_pads_columns():
    text = report.markdown(["", "a"], [["long label", "1"], ["x", "22"]])
    assert text.splitlines() == [
        "|            | a  |",
        "|------------|----|",
        "| long label | 1  |",
        "| x          | 22 |",
    ]


def test_reference_is_the_sync_twin_or_the_pool():
    fork_async = REGISTRY["fork-async"]
    assert report.reference_of(fork_async, PERCALL, "get") == ("fork-sync", "get")
    assert report.reference_of(fork_async, PERCALL, "aiterator") == (
        "fork-sync",
        "iterate",
    )
    assert report.reference_of(fork_async, MEMORY, "aiterator") == (
        "fork-sync",
        "list",
    )
    assert report.reference_of(fork_async, CONCURRENCY, "10") == (POOL, "10")
    fork_sync = REGISTRY["fork-sync"]
    assert report.reference_of(fork_sync, PERCALL, "get") == ("fork-sync", "get")


RESULTS = {
    "fork-sync": {PERCALL: {"get": [1e-4, 2e-4, 3e-4], "iterate": [2e-3]}},
    "fork-async": {
        PERCALL: {"get": [4e-4, 4e-4, 5e-4], "iterate": [3e-3], "aiterator": [4e-3]}
    },
}


def test_table_gives_medians_and_ratios():
    chosen = [REGISTRY["fork-sync"], REGISTRY["fork-async"], REGISTRY[POOL]]
    headers, rows = report.table(
        RESULTS, chosen, "sqlite", PERCALL, report.PERCALL_CASES, report.format_seconds
    )
    assert headers == ["", "fork sync", "fork async (sync_to_async)"]
    assert rows == [
        ["get / aget", "200 µs (1.00x)", "400 µs (2.00x)"],
        ["1,000 rows: for / async for", "2.00 ms (1.00x)", "3.00 ms (1.50x)"],
        ["1,000 rows: async for in aiterator()", "", "4.00 ms (2.00x)"],
    ]


def test_table_without_the_reference_shows_no_ratio():
    results = {"fork-async": {CONCURRENCY: {"10": [0.002]}}}
    _, rows = report.table(
        results,
        [REGISTRY["fork-async"]],
        "postgresql",
        CONCURRENCY,
        report.concurrency_cases([10]),
        report.format_per_query,
    )
    assert rows == [["10 in flight", "2.00 ms/query, 500 q/s (–)"]]


def test_chart_series_is_throughput_per_level():
    results = {
        POOL: {CONCURRENCY: {"1": [0.004], "10": [0.0005]}},
        "fork-async": {CONCURRENCY: {"1": [0.005]}},
    }
    chosen = [REGISTRY["fork-async"], REGISTRY[POOL]]
    series = report.chart_series(results, chosen, [1, 10])
    assert series == {
        "fork async (sync_to_async), psycopg2": [(1, 200.0)],
        "raw psycopg 3 pool": [(1, 250.0), (10, 2000.0)],
    }


def postgresql_percall_table(results, keys):
    chosen = [REGISTRY[key] for key in keys]
    return report.table(
        results,
        chosen,
        "postgresql",
        PERCALL,
        report.PERCALL_CASES,
        report.format_seconds,
    )


def test_postgresql_headers_name_the_driver():
    headers, _ = postgresql_percall_table(RESULTS, ["fork-sync", "fork-async"])
    assert headers == [
        "",
        "fork sync, psycopg2",
        "fork async (sync_to_async), psycopg2",
    ]


PSYCOPG_RESULTS = {
    "fork-sync": {PERCALL: {"get": [2e-4], "count": [1e-4]}},
    "fork-sync-psycopg": {PERCALL: {"get": [1.5e-4], "count": [1.2e-4]}},
    "fork-async-psycopg": {
        PERCALL: {"get": [3e-4]},
        CONCURRENCY: {"10": [0.004]},
    },
    "fork-async": {CONCURRENCY: {"10": [0.005]}},
    POOL: {CONCURRENCY: {"10": [0.001]}},
}


def test_psycopg_columns_add_the_ratio_to_their_psycopg2_twin():
    headers, rows = postgresql_percall_table(
        PSYCOPG_RESULTS, ["fork-sync", "fork-sync-psycopg", "fork-async-psycopg"]
    )
    assert headers == [
        "",
        "fork sync, psycopg2",
        "fork sync, psycopg 3",
        "fork async (sync_to_async), psycopg 3",
    ]
    # fork-async has no per-call figures: the second ratio has no divisor.
    assert rows == [
        [
            "get / aget",
            "200 µs (1.00x)",
            "150 µs (1.00x; 0.75x of psycopg2)",
            "300 µs (2.00x; – of psycopg2)",
        ],
        ["count / acount", "100 µs (1.00x)", "120 µs (1.00x; 1.20x of psycopg2)", ""],
    ]


def test_the_second_ratio_in_the_concurrency_table():
    chosen = [REGISTRY["fork-async"], REGISTRY["fork-async-psycopg"], REGISTRY[POOL]]
    _, rows = report.table(
        PSYCOPG_RESULTS,
        chosen,
        "postgresql",
        CONCURRENCY,
        report.concurrency_cases([10]),
        report.format_per_query,
    )
    assert rows == [
        [
            "10 in flight",
            "5.00 ms/query, 200 q/s (5.00x)",
            "4.00 ms/query, 250 q/s (4.00x; 0.80x of psycopg2)",
            "1.00 ms/query, 1,000 q/s (1.00x)",
        ]
    ]


def test_versus_name_is_the_twins_driver():
    assert report.versus_name(REGISTRY["fork-sync-psycopg"]) == "psycopg2"
    assert report.versus_name(REGISTRY["fork-async-psycopg"]) == "psycopg2"


def test_the_native_contenders_second_ratio_is_to_the_thread_path():
    assert report.versus_name(REGISTRY["fork-native"]) == "sync_to_async"
    results = {
        "fork-sync-psycopg": {"percall": {"get": [0.0002]}},
        "fork-async-psycopg": {"percall": {"get": [0.0004]}},
        "fork-native": {"percall": {"get": [0.0002]}},
    }
    chosen = [REGISTRY[k] for k in results]
    _, rows = report.table(
        results,
        chosen,
        "postgresql",
        "percall",
        report.PERCALL_CASES[:1],
        report.format_seconds,
    )
    assert rows[0][-1] == "200 µs (1.00x; 0.50x of sync_to_async)"


def test_app_table_rates_with_ratios_and_totals_of_errors():
    results = {
        "fork-async-psycopg": {
            "app": {
                "reads plain/1": [90, 100, 110],
                "writes plain/1": [40],
                "errors plain/1": [0, 0, 0],
                "reads sessions/2": [50],
            }
        },
        "fork-native": {
            "app": {
                "reads plain/1": [300, 310, 1000],
                "writes plain/1": [80],
                "errors plain/1": [1, 0, 2],
                "lost plain/1": [0, 0, 0],
                "reads sessions/2": [150],
            }
        },
    }
    chosen = [REGISTRY[k] for k in ("fork-sync", "fork-async-psycopg", "fork-native")]
    configs = [("plain", 1), ("sessions", 2)]
    headers, rows = report.app_table(results, chosen, "postgresql", configs)
    assert headers == [
        "",
        "fork async (sync_to_async), psycopg 3",
        "fork native (async_pool), psycopg 3",
    ]
    assert [row[1:] for row in rows] == [
        ["100/s (1.00x)", "310/s (3.10x)"],
        ["40/s (1.00x)", "80/s (2.00x)"],
        ["0", "3"],
        ["", "0"],
        ["50/s (1.00x)", "150/s (3.00x)"],
    ]
    assert rows[0][0].startswith("no middleware, 1 worker: reads/s")
    assert rows[-1][0].startswith("sessions and auth, logged in, 2 workers: reads/s")


def test_app_table_is_empty_when_no_contender_served_the_site():
    chosen = [REGISTRY["fork-sync"]]
    assert report.app_table({}, chosen, "postgresql", [("plain", 1)]) == ([""], [])


def test_any_error_or_lost_write_of_the_whole_app_is_a_problem():
    results = {
        "fork-async-psycopg": {
            "app": {"errors plain/1": [0, 0], "lost plain/1": [0, 0]}
        },
        "fork-native": {
            "app": {
                "errors plain/1": [0, 0],
                "lost plain/1": [0, 3],
                "errors sessions/2": [2, 0],
                "lost sessions/2": [0, 0],
            }
        },
        "fork-sync": {"percall": {"get": [1.0]}},
    }
    assert report.app_problems(results) == [
        "fork-native, whole app plain/1: 0 errors, 3 lost writes",
        "fork-native, whole app sessions/2: 2 errors, 0 lost writes",
    ]
