import json
import sys
from pathlib import Path

import pytest

from benchmarks import driver
from benchmarks.cli import QUICK
from benchmarks.contenders import REGISTRY, select

DATA = {
    "machine": {
        "date": "2026-11-26 02:00 UTC",
        "cores": 2,
        "cpu": "Some CPU",
        "load_before": [1.0, 1.0, 1.0],
        "load_after": [1.2, 1.0, 1.0],
        "seconds": 12.0,
    },
    "sizes": QUICK.as_json(),
    "servers": {"postgresql": "PostgreSQL 15.20"},
    "results": {
        "postgresql": {
            "fork-async": {
                "about": {"python": "3.11.7", "driver": "psycopg2 2.9.13"},
                "figures": {"concurrency": {"10": [0.004]}},
            },
            "psycopg3-pool": {
                "about": {"python": "3.11.7", "driver": "psycopg 3.3.9"},
                "figures": {"concurrency": {"10": [0.001]}},
            },
        }
    },
}


def test_render_names_the_machine_the_contenders_and_the_ratios():
    text = driver.render(DATA, select())
    assert "2 cores (Some CPU)" in text
    assert "load average [1.0, 1.0, 1.0] before" in text
    assert "- server: PostgreSQL 15.20" in text
    assert "- fork async (sync_to_async), psycopg2: python 3.11.7" in text
    assert "| 10 in flight | 4.00 ms/query, 250 q/s (4.00x) " in text
    assert "Per call" not in text  # no contender ran it


def test_cpu_model_is_a_string():
    assert driver.cpu_model()


def test_a_contender_lays_its_database_settings_over_the_default():
    from benchmarks import worker

    job = {
        "database": "sqlite",
        "sqlite_path": "/tmp/x.sqlite3",
        "database_settings": {"OPTIONS": {"timeout": 5}},
    }
    assert worker.database_settings(job) == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/tmp/x.sqlite3",
        "OPTIONS": {"timeout": 5},
    }
    del job["database_settings"]
    assert "OPTIONS" not in worker.database_settings(job)


def test_render_lists_what_failed():
    data = json.loads(json.dumps(DATA))
    data["failures"] = {"postgresql": {"fork-sync-psycopg": "refused: why"}}
    text = driver.render(data, select())
    assert "- fork sync, psycopg 3: not measured (refused: why)" in text
    assert "switching drivers" not in text


def test_render_explains_the_second_ratio_when_a_cell_has_one():
    data = json.loads(json.dumps(DATA))
    postgresql = data["results"]["postgresql"]
    postgresql["fork-async-psycopg"] = {
        "about": {"python": "3.11.7", "driver": "psycopg 3.3.9"},
        "figures": {"concurrency": {"10": [0.002]}},
    }
    text = driver.render(data, select())
    assert "what switching drivers costs" in text
    assert "| 2.00 ms/query, 500 q/s (2.00x; 0.50x of psycopg2) |" in text
    assert "- fork async (sync_to_async), psycopg 3: python 3.11.7" in text


def mismatch(key, database, result):
    return driver.driver_mismatch(REGISTRY[key], database, result)


def test_a_result_from_the_expected_driver_is_accepted():
    assert mismatch("fork-sync", "postgresql", {"driver": "psycopg2"}) is None
    assert mismatch("fork-sync-psycopg", "postgresql", {"driver": "psycopg"}) is None
    assert mismatch("psycopg3-pool", "postgresql", {"driver": "psycopg"}) is None
    # SQLite has one driver: nothing to check.
    assert mismatch("fork-sync", "sqlite", {"driver": "sqlite3"}) is None


def test_a_result_from_another_driver_is_refused():
    why = mismatch("fork-sync", "postgresql", {"driver": "psycopg"})
    assert why == "its worker used psycopg, but fork-sync expects psycopg2"
    why = mismatch("fork-async-psycopg", "postgresql", {"driver": "psycopg2"})
    assert why == "its worker used psycopg2, but fork-async-psycopg expects psycopg"
    why = mismatch("fork-sync", "postgresql", {})
    assert why == "its worker used an unreported driver, but fork-sync expects psycopg2"


def test_a_contender_without_a_driver_is_refused_on_postgresql():
    from benchmarks.contenders import PERCALL, Contender

    bare = Contender("bare", "bare", "fork", "DjangoSync", (PERCALL,))
    why = driver.driver_mismatch(bare, "postgresql", {"driver": "psycopg2"})
    assert why == "bare declares no driver (its worker used psycopg2)"


def test_a_failing_worker_gives_one_line_and_keeps_the_traceback(tmp_path):
    # No "runner": the worker fails before it imports anything.
    job = {"action": "run", "database": "sqlite"}
    with pytest.raises(driver.WorkerError) as failed:
        driver.run_worker(Path(sys.executable), job, tmp_path)
    assert str(failed.value) == "KeyError: 'runner'"
    out = tmp_path / "run-sqlite-tables.out.json"
    assert failed.value.traceback == out
    assert "Traceback" in json.loads(out.read_text())["traceback"]


def test_measure_refuses_a_result_from_a_venv_with_the_wrong_driver(monkeypatch):
    from benchmarks import envs

    sent = []

    def worker(python, job, work):
        sent.append((python, job))
        return {"about": {}, "driver": "psycopg", "figures": {"percall": {}}}

    monkeypatch.setattr(driver, "run_worker", worker)
    env = envs.environments(driver.ROOT)["fork"]
    job = {"database": "postgresql", "scenarios": ["percall"]}
    with pytest.raises(driver.WorkerError) as refused:
        driver.measure(REGISTRY["fork-sync"], job, env, Path("/tmp"))
    assert str(refused.value) == (
        "refused: its worker used psycopg, but fork-sync expects psycopg2; check "
        "what "
        "build/bench-venv-fork holds (deleting it has it rebuilt)"
    )
    python, sent_job = sent[0]
    assert python == env.python
    assert sent_job["runner"] == "DjangoSync" and sent_job["action"] == "run"
    env = envs.environments(driver.ROOT)["fork-psycopg"]
    result = driver.measure(REGISTRY["fork-sync-psycopg"], job, env, Path("/tmp"))
    assert result["driver"] == "psycopg"


ON = {"scope": True, "same_thread": True, "pool": True}
OFF = {"scope": False, "same_thread": False, "pool": False}


def native_mismatch(key, native):
    return driver.native_mismatch(REGISTRY[key], {"native": native})


def test_a_native_result_needs_every_probe_to_find_native_execution_on():
    assert native_mismatch("fork-native", {"calls": ON, "app": ON}) is None
    why = native_mismatch("fork-native", {"calls": ON, "app": OFF})
    assert why == (
        "native execution was not on in the app probe (no scope, no same_thread, "
        "no pool), but fork-native is native"
    )
    why = native_mismatch("fork-native", {"calls": {**ON, "pool": False}})
    assert why == (
        "native execution was not on in the calls probe (no pool), but "
        "fork-native is native"
    )
    why = native_mismatch("fork-native", {})
    assert why == "fork-native is native, but its worker reported no probe"


def test_the_thread_path_must_not_run_natively():
    assert native_mismatch("fork-async-psycopg", {"calls": OFF, "app": OFF}) is None
    assert native_mismatch("fork-sync", {}) is None  # sync runners send no probe
    why = native_mismatch("fork-async-psycopg", {"calls": OFF, "app": ON})
    assert why == "the app probe ran natively, but fork-async-psycopg is not native"


def test_measure_refuses_a_native_contender_that_ran_through_threads(monkeypatch):
    from benchmarks import envs

    def worker(python, job, work):
        assert job["database_settings"]["OPTIONS"]["async_pool"]
        return {"about": {}, "driver": "psycopg", "native": {"calls": OFF}}

    monkeypatch.setattr(driver, "run_worker", worker)
    env = envs.environments(driver.ROOT)["fork-psycopg"]
    job = {"database": "postgresql", "scenarios": ["percall"]}
    with pytest.raises(driver.WorkerError, match="^refused: native execution"):
        driver.measure(REGISTRY["fork-native"], job, env, Path("/tmp"))


def test_render_has_the_whole_app_table():
    data = json.loads(json.dumps(DATA))
    postgresql = data["results"]["postgresql"]
    about = {"python": "3.11.7", "driver": "psycopg 3.3.9"}
    postgresql["fork-async-psycopg"] = {
        "about": about,
        "figures": {
            "app": {
                "reads plain/1": [100.0],
                "writes plain/1": [50.0],
                "errors plain/1": [0.0],
            }
        },
    }
    postgresql["fork-native"] = {
        "about": about,
        "figures": {
            "app": {
                "reads plain/1": [400.0],
                "writes plain/1": [75.0],
                "errors plain/1": [2.0],
            }
        },
    }
    text = driver.render(data, select())
    assert "Whole app (uvicorn, 10 HTTP/1.1 keep-alive clients" in text
    assert "| 100/s (1.00x)" in text and "| 400/s (4.00x)" in text
