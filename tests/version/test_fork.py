"""The fork's version label, and the release notes it must agree with.

The label (django.FORK_LABEL, "asyncorm.N") names the newest fork release in
docs/releases/: while that release is in development, its notes' header says
"in development"; cutting it dates the header ("released YYYY-MM-DD"), and the
next change moves the label to asyncorm.N+1 together with new notes.
"""

import re
import tempfile
from pathlib import Path

import django
from django.test import SimpleTestCase

# PEP 440 public version (release, optional pre-release) plus a local label.
PEP440_LOCAL_VERSION = re.compile(
    r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?\+[a-z0-9]+(\.[a-z0-9]+)*$"
)

# The docs sit beside tests/ in the source tree.
RELEASES_DIR = Path(__file__).resolve().parents[2] / "docs" / "releases"

# The line under a fork release page's title.
RELEASE_HEADER = re.compile(
    r"^\*asyncorm (?P<version>\S+\+asyncorm\.(?P<number>\d+)), "
    r"(?P<status>in development|released \d{4}-\d{2}-\d{2})\*$",
    re.MULTILINE,
)


def fork_releases(releases_dir):
    """Map each fork release's number to (page name, version, status)."""
    found = {}
    for page in sorted(releases_dir.glob("*.txt")):
        match = RELEASE_HEADER.search(page.read_text(encoding="utf-8")[:1000])
        if match:
            number = int(match["number"])
            if number in found:
                raise ValueError(
                    f"{found[number][0]}.txt and {page.name} both describe "
                    f"asyncorm.{number}"
                )
            found[number] = (page.stem, match["version"], match["status"])
    return found


class ForkVersionTests(SimpleTestCase):
    def test_get_version_is_dunder_version(self):
        self.assertEqual(django.get_version(), django.__version__)

    def test_version_ends_with_fork_label(self):
        self.assertTrue(django.FORK_LABEL)
        self.assertTrue(django.get_version().endswith("+" + django.FORK_LABEL))

    def test_version_is_pep440_local_version(self):
        self.assertRegex(django.get_version(), PEP440_LOCAL_VERSION)


class ForkReleaseNotesTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not RELEASES_DIR.is_dir():
            raise cls.failureException(f"no release notes in {RELEASES_DIR}")
        cls.releases = fork_releases(RELEASES_DIR)

    def test_label_is_newest_release_notes(self):
        newest = max(self.releases)
        page, version, _ = self.releases[newest]
        self.assertEqual(django.FORK_LABEL, f"asyncorm.{newest}")
        self.assertEqual(
            django.get_version(),
            version,
            f"docs/releases/{page}.txt describes another version",
        )

    def test_releases_are_numbered_without_gaps(self):
        self.assertEqual(sorted(self.releases), list(range(1, len(self.releases) + 1)))

    def test_only_newest_release_is_in_development(self):
        newest = max(self.releases)
        for number, (page, _, status) in self.releases.items():
            with self.subTest(page=page):
                if number != newest:
                    self.assertTrue(status.startswith("released "), status)

    def test_releases_index_lists_every_fork_release(self):
        index = (RELEASES_DIR / "index.txt").read_text(encoding="utf-8")
        heading = "asyncorm releases\n=================\n"
        self.assertIn(heading, index)
        section = index.split(heading, 1)[1].split("\n=====", 1)[0]
        listed = re.findall(r"^   (\S+)$", section, flags=re.MULTILINE)
        pages = [self.releases[n][0] for n in sorted(self.releases, reverse=True)]
        self.assertEqual(listed, pages)


class ForkReleasesParserTests(SimpleTestCase):
    def write(self, directory, name, header):
        title = "=" * 10
        (Path(directory) / name).write_text(f"{title}\nNotes\n{title}\n\n{header}\n")

    def test_pages_without_fork_header_are_ignored(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.write(tmp, "4.0.txt", "*December 7, 2021*")
            self.write(
                tmp, "a.txt", "*asyncorm 4.0.10+asyncorm.1, released 2026-11-25*"
            )
            self.write(tmp, "b.txt", "*asyncorm 4.0.10+asyncorm.2, in development*")
            self.assertEqual(
                fork_releases(Path(tmp)),
                {
                    1: ("a", "4.0.10+asyncorm.1", "released 2026-11-25"),
                    2: ("b", "4.0.10+asyncorm.2", "in development"),
                },
            )

    def test_two_pages_for_one_release(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.write(tmp, "a.txt", "*asyncorm 4.0.10+asyncorm.2, in development*")
            self.write(tmp, "b.txt", "*asyncorm 4.0.10+asyncorm.2, in development*")
            msg = "a.txt and b.txt both describe asyncorm.2"
            with self.assertRaisesMessage(ValueError, msg):
                fork_releases(Path(tmp))
