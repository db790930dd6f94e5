"""The fork's security table (docs/releases/security.txt) against its patches.

Django's suite (tests/version/test_security.py) checks that the table has a row
for every upstream advisory; what only the repository can tell is checked here,
on the patched tree: a row that says a patch fixed a CVE names a patch of the
series whose DEP-3 header names that CVE in its ``CVE:`` field, and every CVE
that a security patch's ``CVE:`` field names has such a row.
"""

from __future__ import annotations

import re

TABLE_MARKER = ".. _asyncorm-security:"
CVE = re.compile(r"CVE-\d{4}-\d+")
CVE_FIELD = re.compile(r"^CVE:(?P<value>.*)$", re.MULTILINE)
FIXED_ROW = re.compile(
    r"^   \* - :cve:`(?P<cve>\d{4}-\d+)`\n(?:     - .*\n){3}"
    r"     - Fixed in asyncorm\.\d+ by ``(?P<patch>security/[\w.-]+)``\.$",
    re.MULTILINE,
)


def fixed_rows(table: str) -> dict[str, str]:
    """Map each CVE that the table says is fixed to the patch it names."""
    return {"CVE-" + m["cve"]: m["patch"] for m in FIXED_ROW.finditer(table)}


def declared_cves(header: str) -> list[str]:
    """Return the CVEs that a DEP-3 header's ``CVE:`` fields name."""
    return [cve for m in CVE_FIELD.finditer(header) for cve in CVE.findall(m["value"])]


def check_security_table(table: str | None, headers: dict[str, str]) -> list[str]:
    """Return the disagreements between the table and the series' headers.

    ``table`` is the patched security.txt (None when the tree has none) and
    ``headers`` maps each patch of the series, in order, to its DEP-3 header.
    """
    if table is None or TABLE_MARKER not in table:
        if any(name.startswith("security/") for name in headers):
            return ["docs/releases/security.txt has no asyncorm security table"]
        return []
    problems = []
    fixed = fixed_rows(table)
    for cve, patch in sorted(fixed.items()):
        if patch not in headers:
            problems.append(f"security table: {cve} names {patch}, not in the series")
        elif cve not in declared_cves(headers[patch]):
            problems.append(f"security table: {patch} does not name {cve}")
    for name, header in headers.items():
        if not name.startswith("security/"):
            continue
        for cve in declared_cves(header):
            if fixed.get(cve) != name:
                problems.append(f"{name} names {cve}, whose row does not name it")
    return problems
