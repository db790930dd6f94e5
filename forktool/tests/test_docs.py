import pytest

from forktool import docs
from forktool.cli import parser
from forktool.errors import ForkError

# What Django's translator (the djangohtml builder) writes for a version block,
# and what Sphinx's html builder writes for the same block.
LABELLED = """<html><body>
<div class="versionadded">
<span class="title">New in Django 4.1:</span> <p>Support for <em>async</em>.</p>
</div>
<div class="versionchanged">
<span class="title">Changed in asyncorm.2 (backported from Django 4.2):</span> <p>x</p>
</div>
<div class="versionadded">
<span class="title">New in asyncorm.3.</span> </div>
</body></html>
"""
UNLABELLED = """<html><body>
<p>Before.</p>
<div class="versionadded">
<p>The <code>aget()</code> method was added.</p>
</div>
<div class="versionchanged"></div>
</body></html>
"""


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_labelled_blocks_pass(tmp_path):
    write(tmp_path, "ref/models/querysets.html", LABELLED)
    write(tmp_path, "index.html", "<html><body><p>No blocks.</p></body></html>")
    assert docs.check_version_labels(tmp_path) == (3, [])


def test_blocks_without_label_are_reported_with_their_line(tmp_path):
    write(tmp_path, "topics/async.html", UNLABELLED)
    assert docs.check_version_labels(tmp_path) == (
        2,
        [
            "topics/async.html:3: versionadded block without its label",
            "topics/async.html:6: versionchanged block without its label",
        ],
    )


@pytest.mark.parametrize(
    "label",
    [
        # A fork-only marker that the docs extension did not recognize.
        "New in Django asyncorm.3:",
        "New in Django :",
        "",
        "New in Django 4.1+asyncorm.2:",
    ],
)
def test_malformed_labels_are_reported(tmp_path, label):
    write(
        tmp_path,
        "a.html",
        f'<div class="versionadded">\n<span class="title">{label}</span> <p>x</p>'
        "</div>\n",
    )
    count, problems = docs.check_version_labels(tmp_path)
    assert count == 1
    assert problems == [f"a.html:1: versionadded block labelled {label!r}"]


def test_other_divs_are_not_version_blocks(tmp_path):
    write(
        tmp_path,
        "a.html",
        '<div class="admonition note"><p>Note.</p></div>'
        '<div class="section" id="versionadded"><p>x</p></div>',
    )
    assert docs.check_version_labels(tmp_path) == (0, [])


def test_require_labels_fails_on_an_unlabelled_block(tmp_path, capsys):
    write(tmp_path, "good.html", LABELLED)
    write(tmp_path, "topics/async.html", UNLABELLED)
    with pytest.raises(ForkError, match="2 of 5 versionadded/versionchanged blocks"):
        docs.require_version_labels(tmp_path)
    assert "topics/async.html:3: versionadded block without its label" in (
        capsys.readouterr().err
    )


def test_require_labels_fails_when_no_block_was_built(tmp_path):
    write(tmp_path, "index.html", "<p>Nothing.</p>")
    with pytest.raises(ForkError, match="no versionadded/versionchanged block"):
        docs.require_version_labels(tmp_path)


def test_require_labels_passes_and_counts(tmp_path):
    write(tmp_path, "good.html", LABELLED)
    assert docs.require_version_labels(tmp_path) == 3


def test_docs_builds_with_djangohtml_by_default():
    assert parser().parse_args(["docs"]).builder == "djangohtml"
    assert docs.DEFAULT_BUILDER in docs.LABELLED_BUILDERS
