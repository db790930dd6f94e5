"""The transaction scenario's pure parts: its cases, plans and checks."""

import json
import sys
import types

import pytest

from benchmarks import driver, report, runners
from benchmarks.cli import FULL, QUICK
from benchmarks.contenders import (
    APP,
    NATIVE,
    REGISTRY,
    TRANSACTION,
    TRANSACTION_REFERENCE,
    select,
)


def test_every_level_has_its_own_rows_and_the_widest_also_runs_on_two():
    assert runners.transaction_cases((1, 10, 50)) == {
        "1": (1, 1),
        "10": (10, 10),
        "50": (50, 50),
        "50/2": (50, 2),
    }


def test_no_contended_case_when_the_widest_level_has_no_more_rows_than_it():
    assert runners.transaction_cases((1, 2)) == {"1": (1, 1), "2": (2, 2)}


def test_the_plan_shares_the_transactions_out_evenly():
    assert runners.transaction_plan(10, 1, 1) == [(1, 10)]
    assert runners.transaction_plan(10, 3, 3) == [(1, 4), (2, 3), (3, 3)]
    plan = runners.transaction_plan(FULL.transactions, 50, 50)
    assert [pk for pk, _ in plan] == list(range(1, 51))
    assert sum(count for _, count in plan) == FULL.transactions


def test_a_contended_plan_puts_the_tasks_on_few_rows():
    plan = runners.transaction_plan(7, 5, 2)
    assert plan == [(1, 2), (2, 2), (1, 1), (2, 1), (1, 1)]
    assert runners.expected_balances(plan) == {1: 4, 2: 3}


def test_tasks_with_nothing_to_do_are_left_out():
    assert runners.transaction_plan(2, 5, 5) == [(1, 1), (2, 1)]
    assert runners.transaction_plan(0, 3, 3) == []


@pytest.mark.parametrize("total, level, rows", [(-1, 1, 1), (5, 0, 1), (5, 2, 0)])
def test_an_impossible_plan_is_refused(total, level, rows):
    with pytest.raises(ValueError, match="no plan"):
        runners.transaction_plan(total, level, rows)


def test_the_quick_run_has_a_transaction_for_every_task_of_the_widest_level():
    # Otherwise --quick would run fewer tasks in flight than its label says.
    assert QUICK.transactions >= max(QUICK.levels)
    assert FULL.transactions >= max(FULL.levels)


def test_balances_that_add_up_pass():
    assert runners.lost_writes({1: 3, 2: 1}, {1: 3, 2: 1, 3: 0}) is None
    assert runners.lost_writes({}, {}) is None


def test_a_lost_increment_is_reported():
    why = runners.lost_writes({1: 25, 2: 25}, {1: 24, 2: 20, 3: 0})
    assert why == (
        "6 of 50 increments lost in the transaction scenario: account 1 holds "
        "24, not 25; account 2 holds 20, not 25"
    )


def test_a_missing_account_counts_as_zero_and_an_untouched_one_must_stay_zero():
    why = runners.lost_writes({1: 2}, {})
    assert why == (
        "2 of 2 increments lost in the transaction scenario: account 1 holds 0, not 2"
    )
    # A write to the wrong row is wrong too, though nothing is lost overall.
    why = runners.lost_writes({1: 2}, {1: 1, 2: 1})
    assert why is not None and why.startswith("0 of 2 increments lost")
    assert "account 2 holds 1, not 0" in why


def test_many_wrong_accounts_are_summed_up():
    expected = {pk: 1 for pk in range(1, 6)}
    why = runners.lost_writes(expected, {})
    assert why.startswith("5 of 5 increments lost")
    assert why.endswith("account 3 holds 0, not 1 (and 2 more)")


def test_an_atomic_without_async_methods_is_reported_missing():
    class Old:
        def __enter__(self):
            pass

        def __exit__(self, *exc):
            pass

    class New(Old):
        async def __aenter__(self):
            pass

        async def __aexit__(self, *exc):
            pass

    class Half(Old):
        async def __aenter__(self):
            pass

    assert runners.async_atomic_missing(New) is None
    for atomic in (Old, Half):
        why = runners.async_atomic_missing(atomic)
        assert "has no __aenter__/__aexit__" in why


def test_the_scenario_runs_on_postgresql_for_the_thread_path_sync_and_native():
    ran = {c.key for c in REGISTRY.values() if c.runs(TRANSACTION, "postgresql")}
    assert ran == {"fork-sync-psycopg", TRANSACTION_REFERENCE, NATIVE}
    assert not any(c.runs(TRANSACTION, "sqlite") for c in REGISTRY.values())
    # The thread path is the one the whole-app scenario compares with too.
    assert TRANSACTION in REGISTRY[TRANSACTION_REFERENCE].scenarios
    assert APP in REGISTRY[TRANSACTION_REFERENCE].scenarios


def test_the_native_pool_holds_a_block_for_every_task():
    pool = REGISTRY[NATIVE].database["OPTIONS"]["async_pool"]
    assert pool["max_size"] >= max(FULL.levels)


def test_the_tables_rows_follow_the_runners_cases():
    rows = report.transaction_table_cases((1, 10, 50))
    assert rows == [
        ("1", "1 in flight, a row each"),
        ("10", "10 in flight, a row each"),
        ("50", "50 in flight, a row each"),
        ("50/2", "50 in flight on 2 rows"),
    ]


def test_ratios_are_to_the_thread_path_at_the_same_case():
    for key in ("fork-sync-psycopg", TRANSACTION_REFERENCE, NATIVE):
        assert report.reference_of(REGISTRY[key], TRANSACTION, "50/2") == (
            TRANSACTION_REFERENCE,
            "50/2",
        )


RESULTS = {
    "fork-sync-psycopg": {TRANSACTION: {"1": [0.002], "50/2": [0.002]}},
    TRANSACTION_REFERENCE: {TRANSACTION: {"1": [0.004], "50/2": [0.004, 0.005]}},
    NATIVE: {TRANSACTION: {"1": [0.008], "50/2": [0.001]}},
}


def test_the_table_has_no_second_ratio():
    chosen = [REGISTRY[key] for key in RESULTS]
    _, rows = report.table(
        RESULTS,
        chosen,
        "postgresql",
        TRANSACTION,
        report.transaction_table_cases((1, 50))[::2],
        report.format_per_transaction,
        second_ratio=False,
    )
    assert rows == [
        [
            "1 in flight, a row each",
            "2.00 ms/transaction, 500 tx/s (0.50x)",
            "4.00 ms/transaction, 250 tx/s (1.00x)",
            "8.00 ms/transaction, 125 tx/s (2.00x)",
        ],
        [
            "50 in flight on 2 rows",
            "2.00 ms/transaction, 500 tx/s (0.44x)",
            "4.50 ms/transaction, 222 tx/s (1.00x)",
            "1.00 ms/transaction, 1,000 tx/s (0.22x)",
        ],
    ]


def data_with(results):
    data = {
        "machine": {
            "date": "2026-12-01 23:00 UTC",
            "cores": 2,
            "cpu": "Some CPU",
            "load_before": [1.0, 1.0, 1.0],
            "load_after": [1.0, 1.0, 1.0],
            "seconds": 10.0,
        },
        "sizes": QUICK.as_json(),
        "results": {"postgresql": results},
    }
    return json.loads(json.dumps(data))


def test_render_has_the_transaction_table_and_names_a_skipped_scenario():
    about = {"python": "3.11.7", "driver": "psycopg 3.3.9"}
    results = {
        TRANSACTION_REFERENCE: {
            "about": about,
            "figures": {TRANSACTION: {"1": [0.004]}},
        },
        NATIVE: {
            "about": about,
            "figures": {"percall": {"get": [0.001]}},
            "skipped": {TRANSACTION: "no async blocks here"},
        },
    }
    text = driver.render(data_with(results), select())
    assert "Transactions (50 a sample, each `select_for_update().get()`" in text
    assert "| 1 in flight, a row each | 4.00 ms/transaction, 250 tx/s (1.00x) |" in (
        text
    )
    assert (
        "- fork native (async_pool), psycopg 3: transaction scenario skipped "
        "(no async blocks here)"
    ) in text
    assert "of sync_to_async" not in text.split("Transactions")[1]


def test_render_leaves_the_transaction_table_out_when_nothing_ran_it():
    results = {
        NATIVE: {
            "about": {"python": "3.11.7"},
            "figures": {"percall": {"get": [0.001]}},
        }
    }
    assert "Transactions (" not in driver.render(data_with(results), select())


def test_the_worker_reports_a_skipped_scenario_beside_the_others(monkeypatch):
    from benchmarks import worker

    class Runner:
        uses_django = False

        def __init__(self, sizes, settings=None):
            self.closed = False

        def cases(self, scenario):
            if scenario == TRANSACTION:
                raise runners.Skipped("not on this build")
            return {"10": lambda: 0.25}

        def close(self):
            pass

        def warm(self):
            pass

        def describe(self):
            return {}

        def driver(self):
            return "psycopg"

    fake = types.ModuleType("runners")
    fake.RUNNERS = {"PsycopgPool": Runner}
    fake.Skipped = runners.Skipped
    monkeypatch.setitem(sys.modules, "runners", fake)
    job = {
        "runner": "PsycopgPool",
        "sizes": {"repeat": 2, "memory_repeat": 1},
        "scenarios": ["concurrency", TRANSACTION],
    }
    result = worker.run(job)
    assert result["figures"] == {"concurrency": {"10": [0.25, 0.25]}}
    assert result["skipped"] == {TRANSACTION: "not on this build"}


def test_the_driver_says_what_a_worker_skipped(monkeypatch, tmp_path, capsys):
    def measure(contender, job, env, work):
        return {"about": {}, "figures": {}, "skipped": {TRANSACTION: "why"}}

    monkeypatch.setattr(driver, "measure", measure)
    monkeypatch.setattr(
        driver, "prepare", lambda opts, wanted: dict.fromkeys(wanted, "py")
    )
    monkeypatch.setattr(
        driver, "run_worker", lambda python, job, work: {"server": "PostgreSQL"}
    )
    monkeypatch.setattr(driver, "postgresql_answers", lambda: None)
    monkeypatch.setattr(driver, "draw", lambda *args: None)
    argv = ["--quick", "--database", "postgresql", "--contender", NATIVE]
    assert driver.main(argv + ["--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    title = REGISTRY[NATIVE].title("postgresql")
    assert f"bench: postgresql: {title}: transaction skipped: why" in out


def test_the_worker_gives_back_its_connections_before_serving_the_app(monkeypatch):
    from benchmarks import worker

    calls = []

    class Runner:
        uses_django = False

        def __init__(self, sizes, settings=None):
            pass

        def cases(self, scenario):
            return {"1": lambda: calls.append(scenario) or 0.5}

        def release(self):
            calls.append("release")

        def close(self):
            pass

        def warm(self):
            pass

        def describe(self):
            return {}

        def driver(self):
            return "psycopg"

    fake = types.ModuleType("runners")
    fake.RUNNERS = {"PsycopgPool": Runner}
    fake.Skipped = runners.Skipped
    monkeypatch.setitem(sys.modules, "runners", fake)

    def serve_app(job):
        calls.append(APP)
        return {"reads": [1.0]}, {}

    monkeypatch.setattr(worker, "serve_app", serve_app)
    job = {
        "runner": "PsycopgPool",
        "sizes": {"repeat": 1, "memory_repeat": 1},
        "scenarios": [TRANSACTION, APP],
    }
    worker.run(job)
    # The transaction case ran twice (warm-up and sample), then the app.
    assert calls == [TRANSACTION, TRANSACTION, "release", APP]
