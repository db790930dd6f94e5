import sys
from pathlib import Path

import pytest

from benchmarks import envs
from benchmarks.contenders import (
    DAB_VERSION,
    REGISTRY,
    SCENARIOS,
    SQLALCHEMY_VERSION,
    UPSTREAM_VERSION,
)
from forktool.venvs import file_digest

ROOT = Path(__file__).resolve().parents[2]
# What each driver module is installed as. psycopg-pool counts as psycopg 3:
# it depends on it, so pip would bring psycopg 3 along.
DRIVER_PACKAGES = {
    "psycopg2": {"psycopg2", "psycopg2-binary"},
    "psycopg": {"psycopg", "psycopg-binary", "psycopg-c", "psycopg-pool"},
    "asyncpg": {"asyncpg"},
}


def test_choose_python_takes_the_oldest_that_is_new_enough():
    found = [
        ("/usr/bin/python3", (3, 11)),
        ("/x/3.13/bin/python3", (3, 13)),
        ("/x/3.12/bin/python3", (3, 12)),
        ("/broken", None),
    ]
    assert envs.choose_python(found, (3, 12)) == "/x/3.12/bin/python3"
    assert envs.choose_python(found, (3, 14)) is None


def test_python_version_of_this_interpreter_and_of_nothing():
    assert envs.python_version(sys.executable) == sys.version_info[:2]
    assert envs.python_version("/nonexistent/python") is None


def test_environments_pin_their_requirements(tmp_path):
    environments = envs.environments(tmp_path)
    assert set(environments) == {
        "fork",
        "fork-psycopg",
        "upstream",
        "dab",
        "sqlalchemy",
    }
    assert environments["fork"].install_repo
    assert environments["fork-psycopg"].install_repo
    assert (
        environments["fork-psycopg"].venv == tmp_path / "build/bench-venv-fork-psycopg"
    )
    assert not environments["upstream"].install_repo
    assert environments["upstream"].minimum_python == (3, 12)
    assert environments["fork"].python == tmp_path / "build/bench-venv-fork/bin/python"


def test_a_venv_without_marker_is_not_built(tmp_path):
    env = envs.environments(tmp_path)["upstream"]
    assert not envs.is_built(env, tmp_path)


def test_pinned_follows_includes_and_normalizes_names(tmp_path):
    (tmp_path / "base.txt").write_text("# a comment\nTyping_Extensions==4.16.0\n")
    (tmp_path / "top.txt").write_text(
        "-r base.txt\n--find-links /x\nPsycopg2-binary==2.9.13  # inline\n\n"
    )
    assert envs.pinned([tmp_path / "top.txt"]) == {
        "typing-extensions": "4.16.0",
        "psycopg2-binary": "2.9.13",
    }


def test_the_shared_requirements_pin_no_driver():
    for name in ("bench.txt", "tool.txt"):
        pins = envs.pinned([ROOT / "requirements" / name])
        assert "matplotlib" in pins
        for packages in DRIVER_PACKAGES.values():
            assert not packages & set(pins), name


def running_on_postgresql():
    return [
        c for c in REGISTRY.values() if any(c.runs(s, "postgresql") for s in SCENARIOS)
    ]


def chosen_by_what_is_installed():
    # Django's backend takes whichever driver it can import; SQLAlchemy takes
    # the one its URL names, so its venv may hold both of its drivers.
    return [c for c in running_on_postgresql() if c.environment != "sqlalchemy"]


@pytest.mark.parametrize(
    "contender", chosen_by_what_is_installed(), ids=lambda c: c.key
)
def test_each_venv_holds_exactly_the_driver_its_contenders_expect(contender):
    env = envs.environments(ROOT)[contender.environment]
    pins = set(envs.pinned(env.requirements))
    assert contender.driver in DRIVER_PACKAGES
    for driver, packages in DRIVER_PACKAGES.items():
        if driver == contender.driver:
            assert packages & pins, f"{env.name} does not install {driver}"
        else:
            assert not packages & pins, f"{env.name} also installs {driver}"


def test_the_psycopg2_venv_has_no_psycopg_3():
    env = envs.environments(ROOT)["fork"]
    pins = envs.pinned(env.requirements)
    assert pins["psycopg2-binary"] == "2.9.13"
    assert not {"psycopg", "psycopg-binary", "psycopg-pool"} & set(pins)


def test_the_psycopg_venv_takes_the_committed_pins_and_the_pool():
    env = envs.environments(ROOT)["fork-psycopg"]
    assert ROOT / "requirements" / "postgresql-psycopg.txt" in env.requirements
    pins = envs.pinned(env.requirements)
    assert pins["psycopg"] == pins["psycopg-binary"]
    assert "psycopg-pool" in pins


def test_the_psycopg_venv_has_what_native_execution_and_the_app_need():
    env = envs.environments(ROOT)["fork-psycopg"]
    assert ROOT / "requirements" / "postgresql-native.txt" in env.requirements
    pins = envs.pinned(env.requirements)
    native = envs.pinned([ROOT / "requirements" / "postgresql-native.txt"])
    assert {"greenlet", "psycopg-pool"} <= set(native)
    for name, version in native.items():
        assert pins[name] == version, name  # bench-pool.txt agrees
    assert {"uvicorn", "h11", "click"} <= set(pins)
    assert "uvicorn" not in envs.pinned(envs.environments(ROOT)["fork"].requirements)


@pytest.mark.parametrize("contender", running_on_postgresql(), ids=lambda c: c.key)
def test_each_venv_installs_the_driver_its_contenders_expect(contender):
    env = envs.environments(ROOT)[contender.environment]
    assert DRIVER_PACKAGES[contender.driver] & set(envs.pinned(env.requirements))


def test_the_peers_pin_what_their_contenders_name():
    dab = envs.pinned(envs.environments(ROOT)["dab"].requirements)
    assert dab["django-async-backend"] == DAB_VERSION
    assert dab["django"] == UPSTREAM_VERSION
    sqlalchemy = envs.pinned(envs.environments(ROOT)["sqlalchemy"].requirements)
    assert sqlalchemy["sqlalchemy"] == SQLALCHEMY_VERSION
    assert "greenlet" in sqlalchemy and "django" not in sqlalchemy


def test_a_venv_is_built_when_its_marker_has_its_requirements(tmp_path):
    from forktool.venvs import Venv

    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "bench-dab.txt").write_text("x==1\n")
    env = envs.environments(tmp_path)["dab"]
    env.python.parent.mkdir(parents=True)
    env.python.touch()
    assert not envs.is_built(env, tmp_path)
    venv = Venv(env.venv)
    venv.marker.write_text("{}")
    venv.record("requirements", "bench-dab.txt", file_digest(env.requirements[0]))
    assert envs.is_built(env, tmp_path)
    (tmp_path / "requirements" / "bench-dab.txt").write_text("x==2\n")
    assert not envs.is_built(env, tmp_path)
