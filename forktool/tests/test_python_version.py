import glob
import os
import subprocess
from pathlib import Path

import pytest

from forktool import require_python

ROOT = Path(__file__).resolve().parents[2]


def test_older_python_is_refused_in_one_line():
    with pytest.raises(SystemExit) as info:
        require_python((3, 10, 13, "final", 0), "/usr/bin/python3.10")
    message = str(info.value.code)
    assert "\n" not in message
    assert message.startswith(
        "forktool needs Python 3.11 or newer; /usr/bin/python3.10 is Python 3.10.13."
    )


@pytest.mark.parametrize("version", [(3, 11, 0), (3, 13, 1), (4, 0, 0)])
def test_supported_python_passes(version):
    assert require_python(version, "/usr/bin/python3") is None


def _old_python():
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for pattern in ("3.10.*", "3.9.*", "3.8.*"):
        found = sorted(glob.glob(os.path.join(pyenv, "versions", pattern, "bin")))
        for bindir in found:
            python = os.path.join(bindir, "python3")
            if os.access(python, os.X_OK):
                return python
    return None


@pytest.mark.skipif(_old_python() is None, reason="no Python older than 3.11 here")
def test_forktool_on_an_older_python_says_what_it_needs():
    proc = subprocess.run(
        [_old_python(), "-m", "forktool", "check"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("forktool needs Python 3.11 or newer;")
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
