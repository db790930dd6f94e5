"""The DEP-3 header each patch opens with, and the fork's grammar for it.

A header is ``Field: value`` lines, a value continued on lines that start with
a space (`` .`` for a blank line), up to the diff. The fields, in the order a
patch gives them::

    Description: One line saying what the patch does
     Paragraphs saying what and why.
    CVE: CVE-2026-1234            (security fixes: the advisories it fixes)
    Author: asyncorm maintainers
    Origin: backport, Django 5.1 (what comes from there; written independently)
    Applied-Upstream: 5.1
    Forwarded: not-needed
    Last-Update: 2026-12-05

``Description``, ``Author``, ``Forwarded`` and ``Last-Update`` (a date,
YYYY-MM-DD) are required. ``Origin`` says where the *behaviour* comes from:
the fork never copies upstream's code, so the only value is ``backport``,
followed by the Django releases that introduced the behaviour (``5.1``, or the
security releases ``4.2.24, 5.1.12, 5.2.6``) and, in brackets, what it is,
ending with "written independently". ``Applied-Upstream`` names the same
releases and goes with a backport only. The fork's own behaviour has neither
field (DEP-3's ``upstream`` means upstream's code and ``vendor`` is the
default).
"""

from __future__ import annotations

import datetime
import re

REQUIRED_FIELDS = ("Description", "Author", "Forwarded", "Last-Update")
# DEP-3's fields, plus CVE (the advisories a security patch fixes).
KNOWN_FIELDS = REQUIRED_FIELDS + (
    "Subject",
    "From",
    "Origin",
    "Bug",
    "Applied-Upstream",
    "Reviewed-by",
    "Acked-by",
    "CVE",
)
VERSION = r"\d+\.\d+(?:\.\d+)?"
VERSIONS = rf"{VERSION}(?:, {VERSION})*"
ORIGIN_RE = re.compile(
    rf"backport, Django (?P<versions>{VERSIONS}) \((?P<what>.+); "
    r"written independently\)"
)
APPLIED_RE = re.compile(VERSIONS)
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
FIELD_RE = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9-]*):(?P<value>.*)$")
ORIGIN_FORMAT = "'backport, Django X.Y[, X.Y.Z...] (what it is; written independently)'"


def fields(header: str) -> list[tuple[str, str]]:
    """The header's fields in order, as (name, first line of the value)."""
    found = []
    for line in header.split("\n"):
        if not line.strip():
            break  # DEP-3: free text may follow the fields after a blank line
        match = FIELD_RE.match(line)
        if match:
            found.append((match["name"], match["value"].strip()))
    return found


def _versions(text: str) -> list[str]:
    return text.split(", ")


def check(name: str, header: str) -> list[str]:
    """Return what is wrong with the header of the patch ``name``."""
    problems = []
    found = fields(header)
    values: dict[str, str] = {}
    for field, value in found:
        if field not in KNOWN_FIELDS:
            problems.append(f"{name}: header has an unknown field '{field}:'")
        elif field in values:
            problems.append(f"{name}: header has '{field}:' more than once")
        values.setdefault(field, value)
    for field in REQUIRED_FIELDS:
        if field not in values:
            problems.append(f"{name}: header has no '{field}:' field")
        elif not values[field]:
            problems.append(f"{name}: header's '{field}:' is empty")
    date = values.get("Last-Update")
    if date:
        try:
            if not DATE_RE.fullmatch(date):
                raise ValueError
            datetime.date.fromisoformat(date)
        except ValueError:
            problems.append(
                f"{name}: Last-Update {date!r} is not a date written YYYY-MM-DD"
            )
    origin = values.get("Origin")
    applied = values.get("Applied-Upstream")
    if origin is None:
        if applied is not None:
            problems.append(
                f"{name}: Applied-Upstream without 'Origin: backport, ...'; a "
                "backport says where from, the fork's own behaviour has neither"
            )
        return problems
    match = ORIGIN_RE.fullmatch(origin)
    if not match:
        keyword = origin.split(",", 1)[0].split(";", 1)[0].strip()
        if keyword in ("upstream", "vendor", "other"):
            why = (
                "the fork's own behaviour has no Origin field"
                if keyword != "upstream"
                else "'upstream' means upstream's code, which the fork never copies"
            )
            problems.append(f"{name}: 'Origin: {keyword}': {why}; a backport is "
                            f"{ORIGIN_FORMAT}")  # fmt: skip
        else:
            problems.append(f"{name}: Origin is not {ORIGIN_FORMAT}")
        return problems
    if applied is None:
        problems.append(
            f"{name}: a backport needs 'Applied-Upstream: {match['versions']}' "
            "(the releases that have the behaviour)"
        )
    elif not APPLIED_RE.fullmatch(applied):
        problems.append(
            f"{name}: Applied-Upstream {applied!r} is not a list of releases "
            "such as '5.1' or '4.2.24, 5.1.12'"
        )
    elif sorted(_versions(applied)) != sorted(_versions(match["versions"])):
        problems.append(
            f"{name}: Applied-Upstream ({applied}) and Origin "
            f"({match['versions']}) name different releases"
        )
    return problems
