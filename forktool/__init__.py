"""Build, check and test this Django fork from its pinned upstream and patches."""

import sys

# tomllib (upstream.toml) is in the standard library from 3.11 on, and the
# fork's Django supports nothing older. Say so in one line before any import
# that an older Python would fail on. Kept to syntax that Python 3 of any age
# parses, so that the message, not a SyntaxError, is what an old one shows.
REQUIRED_PYTHON = (3, 11)


def require_python(version_info=sys.version_info, executable=sys.executable):
    """Exit with one line naming the Python needed if this one is older."""
    if tuple(version_info[:2]) < REQUIRED_PYTHON:
        raise SystemExit(
            "forktool needs Python %d.%d or newer; %s is Python %d.%d.%d. Use "
            "python3.11, python3.12 or python3.13 instead"
            % (
                REQUIRED_PYTHON
                + (executable or "this interpreter",)
                + tuple(version_info[:3])
            )
        )


require_python()
