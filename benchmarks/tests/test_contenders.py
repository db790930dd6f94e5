import re
from pathlib import Path

import pytest

from benchmarks import contenders
from benchmarks.contenders import CONCURRENCY, PERCALL, Contender

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
    native = Contender("fork-native", "fork native", "fork", "DjangoAsync", (PERCALL,))
    contenders.register(native)
    assert contenders.select()[-1] is native


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
