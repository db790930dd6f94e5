import re
from pathlib import Path

import pytest

from benchmarks import contenders
from benchmarks.cli import FULL
from benchmarks.contenders import (
    APP,
    CONCURRENCY,
    MEMORY,
    PERCALL,
    SCENARIOS,
    TRANSACTION,
    Contender,
)

ROOT = Path(__file__).resolve().parents[2]


def test_select_keeps_registration_order():
    chosen = contenders.select(["psycopg3-pool", "fork-sync"])
    assert [c.key for c in chosen] == ["fork-sync", "psycopg3-pool"]
    assert contenders.select() == list(contenders.REGISTRY.values())


def test_select_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown contender 'native'"):
        contenders.select(["native"])


def test_register_refuses_a_duplicate_key():
    with pytest.raises(ValueError, match="already registered"):
        contenders.register(Contender("fork-sync", "again", "fork", "X", ()))


def test_register_adds_a_contender(monkeypatch):
    monkeypatch.setattr(contenders, "REGISTRY", dict(contenders.REGISTRY))
    other = Contender("fork-other", "fork other", "fork", "DjangoAsync", (PERCALL,))
    contenders.register(other)
    assert contenders.select()[-1] is other


def test_concurrency_runs_on_postgresql_only():
    fork_async = contenders.REGISTRY["fork-async"]
    assert fork_async.runs(CONCURRENCY, "postgresql")
    assert not fork_async.runs(CONCURRENCY, "sqlite")
    assert fork_async.runs(PERCALL, "sqlite")
    assert not contenders.REGISTRY["psycopg3-pool"].runs(PERCALL, "postgresql")


def test_every_baseline_is_registered():
    for contender in contenders.REGISTRY.values():
        assert contender.baseline is None or contender.baseline in contenders.REGISTRY


def test_every_runner_exists_in_runners_py():
    source = (ROOT / "benchmarks" / "runners.py").read_text()
    for contender in contenders.REGISTRY.values():
        assert f"class {contender.runner}(" in source


def test_upstream_version_matches_the_pin():
    pins = (ROOT / "requirements" / "bench-upstream.txt").read_text()
    assert re.search(rf"^Django=={re.escape(contenders.UPSTREAM_VERSION)}$", pins, re.M)


def test_the_fork_runs_on_each_driver_in_its_own_venv():
    sync, psycopg_sync = (
        contenders.REGISTRY[k] for k in ("fork-sync", "fork-sync-psycopg")
    )
    assert (sync.environment, sync.driver) == ("fork", "psycopg2")
    assert (psycopg_sync.environment, psycopg_sync.driver) == (
        "fork-psycopg",
        "psycopg",
    )
    assert psycopg_sync.runs(PERCALL, "postgresql")
    # The reference for the native contender's aiterator().
    assert psycopg_sync.runs(MEMORY, "postgresql")
    assert not psycopg_sync.runs(PERCALL, "sqlite")
    psycopg_async = contenders.REGISTRY["fork-async-psycopg"]
    assert psycopg_async.baseline == "fork-sync-psycopg"
    assert psycopg_async.runs(CONCURRENCY, "postgresql")
    assert contenders.REGISTRY[contenders.POOL].environment == "fork-psycopg"


def test_a_twin_on_another_driver_runs_the_same_code():
    twinned = [
        c for c in contenders.REGISTRY.values() if c.versus and not c.versus_title
    ]
    assert {c.key for c in twinned} == {"fork-sync-psycopg", "fork-async-psycopg"}
    for contender in twinned:
        twin = contenders.REGISTRY[contender.versus]
        assert twin.runner == contender.runner
        assert twin.driver != contender.driver
        # The whole app and the transactions compare the thread path with
        # native, on psycopg 3.
        for scenario in set(contender.scenarios) - {APP, TRANSACTION}:
            assert twin.runs(scenario, "postgresql")


def test_postgresql_headers_name_the_driver_and_sqlite_ones_do_not():
    for contender in contenders.REGISTRY.values():
        if not any(contender.runs(s, "postgresql") for s in SCENARIOS):
            continue
        name = contenders.DRIVER_NAMES[contender.driver]
        assert name in contender.title("postgresql"), contender.key
        if any(contender.runs(s, "sqlite") for s in SCENARIOS):
            assert "psycopg" not in contender.title("sqlite"), contender.key
    assert contenders.REGISTRY["fork-sync"].title("sqlite") == "fork sync"
    assert contenders.REGISTRY["fork-sync"].title("postgresql") == "fork sync, psycopg2"


def test_every_environment_is_defined():
    from benchmarks import envs

    defined = envs.environments(ROOT)
    for contender in contenders.REGISTRY.values():
        assert contender.environment in defined


def test_the_native_contender_runs_every_scenario_on_postgresql_only():
    native = contenders.REGISTRY[contenders.NATIVE]
    assert native.native and native.driver == "psycopg"
    assert native.environment == "fork-psycopg"
    for scenario in SCENARIOS:
        assert native.runs(scenario, "postgresql"), scenario
        assert not native.runs(scenario, "sqlite"), scenario
    # Ratios to the sync calls on psycopg 3, and to the thread path there.
    assert native.baseline == "fork-sync-psycopg"
    assert native.versus == "fork-async-psycopg"
    assert native.versus_title == "sync_to_async"
    assert native.title("postgresql") == "fork native (async_pool), psycopg 3"


def test_the_native_pool_is_wide_enough_for_every_level_and_client():
    native = contenders.REGISTRY[contenders.NATIVE]
    pool = native.database["OPTIONS"]["async_pool"]
    assert pool["max_size"] >= max(FULL.levels)
    assert pool["max_size"] >= FULL.app_clients


def test_only_the_native_contender_is_native():
    assert [c.key for c in contenders.REGISTRY.values() if c.native] == [
        contenders.NATIVE
    ]
    for contender in contenders.REGISTRY.values():
        options = contender.database.get("OPTIONS", {})
        assert ("async_pool" in options) == contender.native, contender.key


def test_the_whole_app_runs_on_postgresql_against_the_thread_path():
    served = [c for c in contenders.REGISTRY.values() if APP in c.scenarios]
    assert {c.key for c in served} == {contenders.APP_REFERENCE, contenders.NATIVE}
    for contender in served:
        assert contender.environment == "fork-psycopg"
        assert contender.runs(APP, "postgresql")
        assert not contender.runs(APP, "sqlite")
