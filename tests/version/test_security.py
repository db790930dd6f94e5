"""The fork's security table and the advisories it must cover.

docs/releases/security.txt has a row for every advisory that upstream Django
published after 4.0.10 (tests/version/upstream_advisories.txt lists them), and
each row says which fork release fixed it, why the fork is not affected, or
that it is not fixed yet. A new advisory without a row fails here, so the
table cannot fall behind silently.
"""

import re
import tempfile
from pathlib import Path

import django
from django.test import SimpleTestCase

from .test_fork import RELEASES_DIR, fork_releases

ADVISORIES_FILE = Path(__file__).resolve().parent / "upstream_advisories.txt"

# One row of the list-table: five cells, each on one line.
ROW = re.compile(
    r"^   \* - :cve:`(?P<cve>\d{4}-\d+)`\n"
    r"     - (?P<published>.+)\n"
    r"     - (?P<fixed>.+)\n"
    r"     - (?P<issue>.+)\n"
    r"     - (?P<status>.+)$",
    re.MULTILINE,
)
OWN_ROW = re.compile(r"^   \* - (?!Issue$)(?P<issue>.+)\n     - (?P<status>.+)$", re.M)
# The second table, of the fork's own flaws, follows this sentence.
OWN_TABLE_INTRO = "Flaws found in the fork's own code"
FIXED = re.compile(
    r"^Fixed in asyncorm\.(?P<release>\d+) by "
    r"``(?P<patch>security/\d{4}-[\w.-]+\.patch)``\.$"
)
NOT_AFFECTED = re.compile(r"^Not affected: (?P<reason>.{20,})\.$")
OPEN = "Affected, not fixed yet."


def read_advisories(path):
    """Return (cve, published, fixed upstream in, issue) for each advisory."""
    advisories = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            cve, published, fixed, issue = (part.strip() for part in line.split("|"))
            advisories.append((cve, published, fixed, issue))
    return advisories


def asyncorm_section(text):
    """Return the fork's part of the security archive."""
    start = text.index(".. _asyncorm-security:")
    end = text.index("Issues under Django's security process", start)
    return text[start:end]


class SecurityTableTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        text = (RELEASES_DIR / "security.txt").read_text(encoding="utf-8")
        cls.section = asyncorm_section(text)
        cls.rows = [match.groupdict() for match in ROW.finditer(cls.section)]
        cls.advisories = read_advisories(ADVISORIES_FILE)
        cls.releases = fork_releases(RELEASES_DIR)

    def test_every_advisory_has_one_row(self):
        listed = ["CVE-" + row["cve"] for row in self.rows]
        expected = [cve for cve, *_ in self.advisories]
        missing = sorted(set(expected) - set(listed))
        self.assertEqual(missing, [], "advisories without a row in security.txt")
        unknown = sorted(set(listed) - set(expected))
        self.assertEqual(unknown, [], "rows for advisories not in the list")
        self.assertEqual(len(listed), len(set(listed)), "an advisory has two rows")
        self.assertEqual(listed, expected, "rows are not in the list's order")

    def test_rows_agree_with_the_advisory_list(self):
        by_cve = {
            cve: (published, fixed) for cve, published, fixed, _ in self.advisories
        }
        for row in self.rows:
            with self.subTest(cve=row["cve"]):
                published, fixed = by_cve["CVE-" + row["cve"]]
                self.assertEqual(row["published"], published)
                self.assertEqual(row["fixed"], fixed)

    def check_status(self, status, name):
        """Return the fork release that a "Fixed in" status names, or None."""
        fixed = FIXED.match(status)
        if fixed:
            release = int(fixed["release"])
            self.assertIn(release, self.releases, f"{name}: no notes for that release")
            current = int(django.FORK_LABEL.rsplit(".", 1)[1])
            self.assertLessEqual(release, current)
            return release
        if status != OPEN:
            self.assertRegex(status, NOT_AFFECTED, f"{name}: unknown status")
        return None

    def test_each_status_is_fixed_not_affected_or_open(self):
        for row in self.rows:
            with self.subTest(cve=row["cve"]):
                self.check_status(row["status"], "CVE-" + row["cve"])

    def test_release_notes_name_each_fixed_cve(self):
        for row in self.rows:
            release = self.check_status(row["status"], "CVE-" + row["cve"])
            if release is None:
                continue
            with self.subTest(cve=row["cve"]):
                page = self.releases[release][0]
                notes = (RELEASES_DIR / f"{page}.txt").read_text(encoding="utf-8")
                self.assertIn(f":cve:`{row['cve']}`", notes)

    def test_flaws_of_the_fork_itself(self):
        own_table = self.section.split(OWN_TABLE_INTRO, 1)[1]
        rows = [match.groupdict() for match in OWN_ROW.finditer(own_table)]
        self.assertGreater(len(rows), 0)
        for row in rows:
            with self.subTest(issue=row["issue"]):
                self.assertIsNotNone(
                    self.check_status(row["status"], row["issue"]),
                    "a flaw of the fork's own is listed once it is fixed",
                )


class SecurityTableParserTests(SimpleTestCase):
    def test_read_advisories_skips_comments_and_blank_lines(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "advisories.txt"
            path.write_text(
                "# comment\n\nCVE-2099-1 | 2099-01-01 | 9.9.1 | something\n",
                encoding="utf-8",
            )
            self.assertEqual(
                read_advisories(path),
                [("CVE-2099-1", "2099-01-01", "9.9.1", "something")],
            )

    def test_status_forms(self):
        self.assertTrue(
            FIXED.match("Fixed in asyncorm.4 by ``security/0001-x.patch``.")
        )
        self.assertIsNone(FIXED.match("Fixed in asyncorm.4."))
        self.assertTrue(NOT_AFFECTED.match("Not affected: the code came in 5.1."))
        self.assertIsNone(NOT_AFFECTED.match("Not affected."))
