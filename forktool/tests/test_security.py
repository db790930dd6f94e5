"""forktool.security: the security table against the series' headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forktool.security import (
    TABLE_MARKER,
    check_security_table,
    declared_cves,
    fixed_rows,
)

ROOT = Path(__file__).resolve().parents[2]
ADVISORIES = ROOT / "tests" / "version" / "upstream_advisories.txt"
SHARED = ROOT.parent / "shared" / "security" / "upstream-advisories.md"


def row(cve: str, status: str) -> str:
    return (
        f"   * - :cve:`{cve}`\n     - 2026-01-01\n     - 5.2.1\n"
        f"     - something\n     - {status}\n"
    )


def table(*rows: str) -> str:
    return f"{TABLE_MARKER}\n\nIntro\n\n" + "".join(rows)


FIXED = "Fixed in asyncorm.4 by ``security/0001-fix.patch``."
HEADERS = {
    "core/0001-label.patch": "Description: label\n",
    "security/0001-fix.patch": "Description: a fix\nCVE: CVE-2026-1\n",
}


def test_fixed_rows() -> None:
    text = table(row("2026-1", FIXED), row("2026-2", "Affected, not fixed yet."))
    assert fixed_rows(text) == {"CVE-2026-1": "security/0001-fix.patch"}


def test_declared_cves() -> None:
    header = (
        "Description: fixes CVE-2026-7\n see CVE-2026-8\nCVE: CVE-2026-1, CVE-2026-2\n"
    )
    assert declared_cves(header) == ["CVE-2026-1", "CVE-2026-2"]


def test_cves_mentioned_outside_the_field_need_no_row() -> None:
    headers = {"security/0002-deps.patch": "Description: floors for CVE-2026-5\n"}
    assert check_security_table(table(), headers) == []


def test_table_and_headers_agree() -> None:
    text = table(row("2026-1", FIXED), row("2026-2", "Affected, not fixed yet."))
    assert check_security_table(text, HEADERS) == []


def test_row_names_a_patch_outside_the_series() -> None:
    text = table(row("2026-1", FIXED.replace("0001-fix", "0002-gone")))
    assert check_security_table(text, HEADERS) == [
        "security table: CVE-2026-1 names security/0002-gone.patch, not in the "
        "series",
        "security/0001-fix.patch names CVE-2026-1, whose row does not name it",
    ]


def test_row_names_a_patch_that_does_not_name_the_cve() -> None:
    headers = {
        **HEADERS,
        "security/0001-fix.patch": "Description: x\nCVE: CVE-2026-9\n",
    }
    problems = check_security_table(table(row("2026-1", FIXED)), headers)
    assert problems[0] == (
        "security table: security/0001-fix.patch does not name CVE-2026-1"
    )


def test_security_patch_without_a_row() -> None:
    text = table(row("2026-1", "Affected, not fixed yet."))
    assert check_security_table(text, HEADERS) == [
        "security/0001-fix.patch names CVE-2026-1, whose row does not name it"
    ]


def test_security_patches_without_a_table() -> None:
    assert check_security_table(None, HEADERS) == [
        "docs/releases/security.txt has no asyncorm security table"
    ]
    assert check_security_table(None, {"core/0001-label.patch": ""}) == []


@pytest.mark.skipif(not SHARED.is_file(), reason="no shared advisory list beside")
def test_list_covers_the_shared_advisories() -> None:
    """The repository's copy of the advisory list has every shared advisory."""
    cve = re.compile(r"CVE-\d{4}-\d+")
    ours = set(cve.findall(ADVISORIES.read_text(encoding="utf-8")))
    theirs = set(cve.findall(SHARED.read_text(encoding="utf-8")))
    assert sorted(theirs - ours) == []
