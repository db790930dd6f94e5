import sys

from benchmarks import envs


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
    assert set(environments) == {"fork", "upstream"}
    assert environments["fork"].install_repo
    assert not environments["upstream"].install_repo
    assert environments["upstream"].minimum_python == (3, 12)
    assert environments["fork"].python == tmp_path / "build/bench-venv-fork/bin/python"


def test_a_venv_without_marker_is_not_built(tmp_path):
    env = envs.environments(tmp_path)["upstream"]
    assert not envs.is_built(env, tmp_path)
