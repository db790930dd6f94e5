"""The driver's rounds: contenders interleaved, samples merged, pools shared."""

from pathlib import Path

from benchmarks import contenders, driver, worker
from benchmarks.cli import FULL, QUICK
from benchmarks.contenders import APP, MEMORY, PERCALL, REGISTRY, app_case


def test_rounds_alternate_the_order():
    assert driver.alternate([1, 2, 3], 0) == [1, 2, 3]
    assert driver.alternate([1, 2, 3], 1) == [3, 2, 1]
    assert driver.alternate([1, 2, 3], 2) == [1, 2, 3]


def test_merge_appends_samples_and_keeps_every_probe():
    into: dict = {}
    first = {
        "about": {"python": "3.11"},
        "driver": "psycopg",
        "figures": {PERCALL: {"get": [1.0]}, "percall-cpu": {"get": [0.5]}},
        "native": {"calls": {"scope": True}},
    }
    second = {
        "about": {"python": "other"},
        "driver": "psycopg",
        "figures": {PERCALL: {"get": [3.0]}},
        "native": {"calls": {"scope": False}},
        "skipped": {"transaction": "why"},
    }
    driver.merge(into, first, 0)
    driver.merge(into, second, 1)
    assert into["about"] == {"python": "3.11"}
    assert into["figures"][PERCALL]["get"] == [1.0, 3.0]
    assert into["figures"]["percall-cpu"]["get"] == [0.5]
    # A probe that failed in one round fails the contender.
    assert into["native"] == {
        "calls, round 1": {"scope": True},
        "calls, round 2": {"scope": False},
    }
    assert into["skipped"] == {"transaction": "why"}


def test_merge_renames_the_whole_app_figures():
    into: dict = {}
    result = {"figures": {APP: {"reads": [10.0]}}, "app": {"probe": {}}}
    driver.merge(into, result, 0, lambda m: app_case(m, "sessions", 2))
    assert into["figures"][APP] == {"reads sessions/2": [10.0]}
    assert into["app"] == [{"probe": {}}]


def test_each_uvicorn_worker_gets_a_share_of_the_native_pool():
    native = REGISTRY[contenders.NATIVE].database
    assert driver.app_settings(native, None) is native
    assert driver.app_settings(native, {"workers": 1}) is native
    shared = driver.app_settings(native, {"workers": 2})
    assert shared["OPTIONS"]["async_pool"]["max_size"] == 30
    assert shared["OPTIONS"]["async_pool"]["min_size"] == 4
    assert native["OPTIONS"]["async_pool"]["max_size"] == 60  # not changed
    thread = REGISTRY[contenders.APP_REFERENCE].database
    assert driver.app_settings(thread, {"workers": 2}) == thread


def test_run_rounds_interleaves_contenders_and_serves_every_app_config(
    monkeypatch,
):
    calls = []

    def measure(contender, job, env, work):
        app = job.get("app")
        calls.append((contender.key, tuple(job["scenarios"]), app and app["profile"]))
        if app:
            assert job["sizes"]["app_repeat"] == 1
            assert app["sessions"] == ["k"]
            return {"about": {}, "figures": {APP: {"reads": [1.0]}}}
        assert job["sizes"]["repeat"] == 1
        return {"about": {}, "figures": {PERCALL: {"get": [1.0]}}}

    monkeypatch.setattr(driver, "measure", measure)
    chosen = [REGISTRY[k] for k in ("fork-async-psycopg", "fork-native")]
    sizes = {
        **FULL.as_json(),
        "repeat": 2,
        "app_repeat": 1,
        "app_configs": [["plain", 1], ["sessions", 2]],
    }
    ready = dict.fromkeys(("fork", "fork-psycopg"), Path("py"))
    results, failures = driver.run_rounds(
        "postgresql", {}, chosen, ready, Path("/tmp"), sizes, {"sessions": ["k"]}
    )
    assert failures == {}
    timed = [c for c in calls if c[2] is None]
    assert [c[0] for c in timed] == [
        "fork-async-psycopg",
        "fork-native",
        "fork-native",
        "fork-async-psycopg",
    ]
    # Memory in the first round only.
    assert MEMORY in timed[1][1] and MEMORY not in timed[2][1]
    served = [(c[0], c[2]) for c in calls if c[2]]
    assert served == [
        ("fork-async-psycopg", "plain"),
        ("fork-native", "plain"),
        ("fork-async-psycopg", "sessions"),
        ("fork-native", "sessions"),
    ]
    assert results["fork-native"]["figures"][PERCALL]["get"] == [1.0, 1.0]
    assert set(results["fork-native"]["figures"][APP]) == {
        "reads plain/1",
        "reads sessions/2",
    }


def test_a_contender_failing_in_a_round_is_left_out(monkeypatch):
    def measure(contender, job, env, work):
        if contender.key == "fork-native":
            raise driver.WorkerError("broken")
        return {"about": {}, "figures": {PERCALL: {"get": [1.0]}}}

    monkeypatch.setattr(driver, "measure", measure)
    chosen = [REGISTRY[k] for k in ("fork-sync-psycopg", "fork-native")]
    sizes = {**QUICK.as_json(), "repeat": 3, "app_repeat": 0}
    ready = {"fork-psycopg": Path("py")}
    results, failures = driver.run_rounds(
        "postgresql", {}, chosen, ready, Path("/tmp"), sizes, {}
    )
    assert list(results) == ["fork-sync-psycopg"]
    assert failures == {"fork-native": "broken"}
    assert results["fork-sync-psycopg"]["figures"][PERCALL]["get"] == [1.0] * 3


def test_the_worker_records_wall_and_cpu_apart():
    assert worker.CPU_SUFFIX == contenders.CPU_SUFFIX
    figures: dict = {}
    worker.record(figures, PERCALL, "get", (0.002, 0.001))
    worker.record(figures, MEMORY, "list", 1024.0)
    assert figures == {
        PERCALL: {"get": [0.002]},
        PERCALL + contenders.CPU_SUFFIX: {"get": [0.001]},
        MEMORY: {"list": [1024.0]},
    }


def test_quick_serves_both_profiles_and_both_worker_counts():
    configs = QUICK.app_configs
    assert {p for p, _ in configs} == set(contenders.APP_PROFILES)
    assert {w for _, w in configs} == {1, 2}
    assert set(FULL.app_configs) == set(contenders.APP_CONFIGS)
