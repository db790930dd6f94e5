"""The DEP-3 header grammar that check holds every patch to."""

import pytest

from forktool.check import run_checks
from forktool.dep3 import check, fields

OWN = (
    "Description: Do the fork's own thing\n"
    " Because we need it.\n"
    " .\n"
    " Origin: this line continues the description.\n"
    "Author: asyncorm maintainers\n"
    "Forwarded: not-needed\n"
    "Last-Update: 2026-12-05\n"
)
BACKPORT = OWN.replace(
    "Forwarded:",
    "Origin: backport, Django 5.1 (the pool; written independently)\n"
    "Applied-Upstream: 5.1\n"
    "Forwarded:",
)
SECURITY = (
    "Description: Fix it\n"
    "CVE: CVE-2026-1234\n"
    "Author: asyncorm maintainers\n"
    "Origin: backport, Django 4.2.24, 5.1.12, 5.2.6 (the fix for CVE-2026-1234 "
    "from 4.2.24 (and later); written independently)\n"
    "Applied-Upstream: 5.2.6, 4.2.24, 5.1.12\n"
    "Forwarded: not-needed\n"
    "Last-Update: 2026-12-05\n"
)


@pytest.mark.parametrize("header", [OWN, BACKPORT, SECURITY])
def test_good_headers(header):
    assert check("p", header) == []


def test_fields_stop_at_the_first_blank_line():
    header = OWN + "\nOrigin: free text after the fields, not a field\n"
    assert [name for name, _ in fields(header)] == [
        "Description", "Author", "Forwarded", "Last-Update"
    ]  # fmt: skip
    assert check("p", header) == []


@pytest.mark.parametrize(
    "old, new, problem",
    [
        ("Author: asyncorm maintainers\n", "", "p: header has no 'Author:' field"),
        ("Forwarded: not-needed\n", "Forwarded:\n",
         "p: header's 'Forwarded:' is empty"),
        ("Last-Update: 2026-12-05", "Last-Update: 5 Dec 2026",
         "p: Last-Update '5 Dec 2026' is not a date written YYYY-MM-DD"),
        ("Last-Update: 2026-12-05", "Last-Update: 2026-13-05",
         "p: Last-Update '2026-13-05' is not a date written YYYY-MM-DD"),
        ("Forwarded:", "Applied-upstream: 5.1\nForwarded:",
         "p: header has an unknown field 'Applied-upstream:'"),
        ("Applied-Upstream: 5.1\n", "",
         "p: a backport needs 'Applied-Upstream: 5.1' (the releases that have "
         "the behaviour)"),
        ("Applied-Upstream: 5.1", "Applied-Upstream: 5.0",
         "p: Applied-Upstream (5.0) and Origin (5.1) name different releases"),
        ("Applied-Upstream: 5.1", "Applied-Upstream: yes",
         "p: Applied-Upstream 'yes' is not a list of releases such as '5.1' or "
         "'4.2.24, 5.1.12'"),
        ("Author: asyncorm maintainers\n", "Author: a\nAuthor: b\n",
         "p: header has 'Author:' more than once"),
    ],
)  # fmt: skip
def test_bad_backport_headers(old, new, problem):
    assert old in BACKPORT
    assert check("p", BACKPORT.replace(old, new)) == [problem]


@pytest.mark.parametrize(
    "origin",
    [
        "backport, 5.1 (the pool; written independently)",  # no "Django"
        "backport, Django 5.1",  # what, and that it was written here
        "backport, Django 5.1 (the pool)",
        "backport, Django 5.x (the pool; written independently)",
        "backport, Django 4.2 and 5.1 (the pool; written independently)",
        "backport, https://example.com/ (the pool; written independently)",
    ],
)
def test_malformed_origin(origin):
    header = BACKPORT.replace(
        "backport, Django 5.1 (the pool; written independently)", origin
    )
    (problem,) = check("p", header)
    assert problem.startswith("p: Origin is not 'backport, Django X.Y")


@pytest.mark.parametrize("keyword", ["upstream", "vendor"])
def test_upstream_and_vendor_origins_are_refused(keyword):
    header = OWN.replace(
        "Forwarded:", f"Origin: {keyword}, Django 5.1 (the pool)\nForwarded:"
    )
    (problem,) = check("p", header)
    assert problem.startswith(f"p: 'Origin: {keyword}': ")


def test_applied_upstream_needs_a_backport_origin():
    header = OWN.replace("Forwarded:", "Applied-Upstream: 5.1\nForwarded:")
    (problem,) = check("p", header)
    assert problem.startswith("p: Applied-Upstream without 'Origin: backport, ...'")


def test_run_checks_reports_header_problems(repo):
    path = repo.patches_dir / "core" / "0001-ready.patch"
    path.write_text(
        path.read_text().replace(
            "Author: test\n", "Author: test\nOrigin: upstream, Django 1.1\n"
        )
    )
    (problem,) = run_checks(repo)
    assert problem.startswith("core/0001-ready.patch: 'Origin: upstream': ")
