"""patches/series' comments: export keeps them, check and tree ignore them."""

import subprocess

from forktool.check import run_checks
from forktool.gitwork import edit, export, write_series
from forktool.patching import read_layout, read_series
from forktool.tree import build

SECTIONED = (
    "# The patches, in the order they apply.\n"
    "# Sections group them by topic.\n"
    "\n"
    "# core: the fork's identity\n"
    "core/0001-ready.patch\n"
    "\n"
    "# web: async views\n"
    "web/0001-views.patch  # the first one\n"
    "web/0002-more.patch\n"
    "\n"
    "# docs\n"
    "docs/0001-docs.patch\n"
    "# end of the series\n"
)


def series(repo, text=None):
    path = repo.patches_dir / "series"
    if text is not None:
        path.write_text(text)
    return path.read_text()


def test_layout_splits_preamble_sections_and_trailer(tmp_path):
    path = tmp_path / "series"
    path.write_text(SECTIONED)
    layout = read_layout(path)
    assert layout.preamble == [
        "# The patches, in the order they apply.",
        "# Sections group them by topic.",
        "",
    ]
    assert [(e.name, e.above) for e in layout.entries] == [
        ("core/0001-ready.patch", ["# core: the fork's identity"]),
        ("web/0001-views.patch", ["", "# web: async views"]),
        ("web/0002-more.patch", []),
        ("docs/0001-docs.patch", ["", "# docs"]),
    ]
    assert layout.trailer == ["# end of the series"]
    assert layout.render() == SECTIONED
    assert read_series(path) == layout.names()


def test_comment_block_without_blank_line_is_the_preamble(tmp_path):
    path = tmp_path / "series"
    path.write_text("# The series.\ncore/0001-ready.patch\n")
    layout = read_layout(path)
    assert layout.preamble == ["# The series."]
    assert layout.entries[0].above == []


def test_write_series_keeps_sections_for_new_and_reordered_names(repo):
    series(repo, SECTIONED)
    write_series(
        repo,
        [
            "core/0001-ready.patch",
            "web/0002-more.patch",
            "web/0001-views.patch",
            "docs/0001-docs.patch",
            "web/0003-new.patch",
        ],
    )
    assert series(repo) == (
        "# The patches, in the order they apply.\n"
        "# Sections group them by topic.\n"
        "\n"
        "# core: the fork's identity\n"
        "core/0001-ready.patch\n"
        "web/0002-more.patch\n"
        "\n"
        "# web: async views\n"
        "web/0001-views.patch  # the first one\n"
        "\n"
        "# docs\n"
        "docs/0001-docs.patch\n"
        "web/0003-new.patch\n"
        "# end of the series\n"
    )


def test_comments_of_a_removed_name_go_to_the_next_name(repo):
    series(repo, SECTIONED)
    write_series(
        repo,
        ["core/0001-ready.patch", "web/0001-renamed.patch", "web/0002-more.patch"],
    )
    text = series(repo)
    assert "# web: async views\nweb/0001-renamed.patch\n" not in text
    # web/0001-views and docs/0001 are gone: their comments move on, the
    # section heading to web/0002, the docs heading to the trailer.
    assert text.endswith(
        "core/0001-ready.patch\n"
        "web/0001-renamed.patch\n"
        "\n"
        "# web: async views\n"
        "web/0002-more.patch\n"
        "\n"
        "# docs\n"
        "# end of the series\n"
    )


def test_unchanged_names_leave_the_file_alone(repo):
    text = "# top\n\n# core\ncore/0001-ready.patch   \n"
    series(repo, text)
    write_series(repo, ["core/0001-ready.patch"])
    assert series(repo) == text


def commit(work, message):
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    subprocess.run(
        ["git", "-c", "user.name=dev", "-c", "user.email=dev@localhost", "commit",
         "-q", "-m", message],
        cwd=work, check=True,
    )  # fmt: skip


HEADER = "Author: dev\nForwarded: not-needed\nLast-Update: 2026-12-05\n"


def test_export_keeps_section_comments_and_check_and_tree_ignore_them(repo, tmp_path):
    series(
        repo, "# The series.\n\n# core: the fork's identity\ncore/0001-ready.patch\n"
    )
    work = tmp_path / "wt"
    edit(repo, work)
    core = work / "django" / "core.py"
    core.write_text(core.read_text().replace("* 3 + 21", "* 3 + 22"))
    commit(work, f"compat/0001-tweak.patch\n\nDescription: Tweak\n{HEADER}")
    export(repo, work)
    assert series(repo) == (
        "# The series.\n\n# core: the fork's identity\ncore/0001-ready.patch\n"
        "compat/0001-tweak.patch\n"
    )
    # A section heading added by hand survives the next round trip.
    series(repo, series(repo).replace("compat/", "\n# compat\ncompat/"))
    text = series(repo)
    edit(repo, tmp_path / "wt2")
    export(repo, tmp_path / "wt2")
    assert series(repo) == text
    assert run_checks(repo) == []
    tree = build(repo, tmp_path / "tree", quiet=True)
    assert "* 3 + 22" in (tree / "django" / "core.py").read_text()


def test_check_wants_sections_in_order_and_numbers_in_applied_order():
    from forktool.check import check_series_order

    assert check_series_order(["core/0001-a.patch", "web/0001-b.patch"]) == []
    moved = check_series_order(["web/0001-b.patch", "core/0001-a.patch"])
    assert any("out of its section's place" in problem for problem in moved)
    swapped = check_series_order(["docs/0002-b.patch", "docs/0001-a.patch"])
    assert any(
        "docs/0002-b.patch is numbered out of applied order" in p for p in swapped
    )
    unknown = check_series_order(["misc/0001-a.patch"])
    assert unknown and "misc" in unknown[0]
