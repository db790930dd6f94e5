import json
import sys

import pytest

from forktool import venvs
from forktool.errors import ForkError


@pytest.fixture
def fake(monkeypatch):
    """Every command faked: venv creation makes bin/python, pip records its args."""
    ran = []

    def fake_run(cmd, **kwargs):
        ran.append(("venv", cmd[-1]))
        python = venvs.Path(cmd[-1]) / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.touch()
        return venvs.subprocess.CompletedProcess(cmd, 0, "")

    monkeypatch.setattr(venvs.subprocess, "run", fake_run)
    monkeypatch.setattr(
        venvs, "pip", lambda python, *args, hint="": ran.append(("pip", *args))
    )
    return ran


def test_a_new_venv_gets_its_tools_then_each_requirements_file(tmp_path, fake):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("x==1\n")
    b.write_text("y==2\n")
    venv = venvs.Venv(tmp_path / "v")
    assert not venv.current([a, b])
    venv.create("python3")
    assert venv.install_requirements([a, b]) == [a, b]
    assert fake == [
        ("venv", str(tmp_path / "v")),
        ("pip", "install", "--upgrade", *venvs.TOOLS),
        ("pip", "install", "-r", str(a)),
        ("pip", "install", "-r", str(b)),
    ]
    assert venv.current([a, b])


def test_only_a_changed_requirements_file_is_installed_again(tmp_path, fake):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("x==1\n")
    b.write_text("y==2\n")
    venv = venvs.Venv(tmp_path / "v")
    venv.create("python3")
    venv.install_requirements([a, b])
    venv.create("python3")  # exists: nothing happens
    b.write_text("y==3\n")
    del fake[:]
    assert venv.install_requirements([a, b]) == [b]
    assert fake == [("pip", "install", "-r", str(b))]


def test_a_stamp_installs_once_per_value(tmp_path, fake):
    venv = venvs.Venv(tmp_path / "v")
    venv.create("python3")
    del fake[:]
    assert venv.install_stamped("tree", "one", "--no-deps", "/t")
    assert not venv.install_stamped("tree", "one", "--no-deps", "/t")
    assert not venv.current([], {"tree": "two"})
    assert venv.install_stamped("tree", "two", "--no-deps", "/t")
    assert fake == [("pip", "install", "--no-deps", "/t")] * 2
    assert json.loads(venv.marker.read_text())["tree"] == "two"
    assert venv.current([], {"tree": "two"})


def test_a_broken_marker_counts_as_nothing_installed(tmp_path, fake):
    venv = venvs.Venv(tmp_path / "v")
    venv.create("python3")
    venv.marker.write_text("not json")
    assert venv.state() == {}


def test_fresh_replaces_an_existing_venv(tmp_path, fake):
    venv = venvs.Venv(tmp_path / "v")
    venv.create("python3")
    (venv.path / "stale").touch()
    venv.create("python3", fresh=True)
    assert not (venv.path / "stale").exists()


def test_a_failing_pip_raises_with_the_hint(tmp_path, capsys):
    with pytest.raises(ForkError, match="failed in .*\nread this"):
        venvs.pip(
            venvs.Path(sys.executable), "install", "--no-index", "nothing-such-0",
            hint="read this",
        )  # fmt: skip
