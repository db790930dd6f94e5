"""Sphinx extension for offline builds of the docs (copied into docs/_ext).

Without the intersphinx inventories, references into the Python, psycopg2 and
Sphinx docs cannot resolve. The ones the pristine docs make are listed in
a list copied beside this module; they are rendered as plain text, and every
other unresolved reference still warns (and so fails a ``-W`` build).
"""

from pathlib import Path


def _known():
    known = set()
    text = Path(__file__).with_suffix(".refs").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            reftype, _, target = line.partition(" ")
            known.add((reftype, target))
    return known


def setup(app):
    known = _known()

    def resolve_as_text(app, env, node, contnode):
        if (node.get("reftype"), node.get("reftarget")) in known:
            return contnode
        return None

    app.connect("missing-reference", resolve_as_text, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
