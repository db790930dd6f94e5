"""
Django's runtime requirements exclude every release of a dependency that a
published security advisory names.

ADVISORIES lists, per dependency, each advisory and the first release that
fixes it; a requirement's floor (its ">=" bound) must be at least the newest of
those releases. When an advisory is published for a dependency, add it here:
the test then fails until setup.cfg's floor moves past it.
"""

import configparser
import importlib.metadata
import re
from pathlib import Path

import django
from django.test import SimpleTestCase

# package: [(advisory, first fixed release), ...]
ADVISORIES = {
    "asgiref": [
        # WsgiToAsgi: many values of one header exhaust resources.
        ("CVE-2025-14550", "3.11.1"),
    ],
    "sqlparse": [
        # Regex DoS in the strip_comments filter.
        ("GHSA-p5w8-wqhj-9hhf (CVE-2021-32839)", "0.4.2"),
        # Regex DoS in the parser.
        ("GHSA-rrm6-wvj7-cwh2 (CVE-2023-30608)", "0.4.4"),
        # RecursionError on deeply nested lists.
        ("GHSA-2m57-hf25-phgg (CVE-2024-4340)", "0.5.0"),
        # Quadratic work on nested parentheses and CASE.
        ("GHSA-pwgv-4x5q-6m9f (CVE-2026-54284)", "0.6.0"),
        # Regex DoS in the dollar-quoted literal lexer.
        ("GHSA-prg7-hcfm-mfcr (CVE-2026-59893)", "0.6.0"),
        # Quadratic work grouping comment-only statements.
        ("GHSA-f2ff-p2ww-7p4p (CVE-2026-71491)", "0.6.0"),
        # Unescaped backslashes in the Python and PHP output formats.
        ("GHSA-3496-9g83-7v6x (CVE-2026-59894)", "0.6.0"),
    ],
}

# setup.cfg sits beside tests/ in the source tree.
SETUP_CFG = Path(__file__).resolve().parents[2] / "setup.cfg"

REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9._-]+)\s*(\[[^\]]*\])?(?P<spec>.*)$")


def version_tuple(version):
    return tuple(int(part) for part in version.split("."))


def floors(requirements):
    """
    Map each requirement's normalized name to its ">=" bound (None when it has
    none). Environment markers are ignored: a floor applies wherever the
    requirement does.
    """
    found = {}
    for requirement in requirements:
        requirement = requirement.split(";", 1)[0].strip()
        if not requirement:
            continue
        match = REQUIREMENT.match(requirement)
        name = re.sub(r"[-_.]+", "-", match["name"]).lower()
        floor = None
        for spec in match["spec"].strip(" ()").split(","):
            spec = spec.strip()
            if spec.startswith(">="):
                floor = spec[2:].strip()
        found[name] = floor
    return found


class RequirementFloorTests(SimpleTestCase):
    def assertFloorsAboveAdvisories(self, requirements):
        found = floors(requirements)
        for package, advisories in ADVISORIES.items():
            self.assertIn(package, found)
            floor = found[package]
            self.assertIsNotNone(floor, f"{package} has no minimum version")
            for advisory, fixed in advisories:
                self.assertGreaterEqual(
                    version_tuple(floor),
                    version_tuple(fixed),
                    f"{package} >= {floor} allows releases affected by "
                    f"{advisory} (fixed in {fixed})",
                )

    def test_setup_cfg_install_requires(self):
        config = configparser.ConfigParser()
        config.read(SETUP_CFG, encoding="utf-8")
        install_requires = config["options"]["install_requires"].splitlines()
        self.assertFloorsAboveAdvisories(install_requires)

    def test_installed_metadata(self):
        """The installed distribution (what pip resolves) has the floors."""
        try:
            distribution = importlib.metadata.distribution("Django")
        except importlib.metadata.PackageNotFoundError:
            self.skipTest("Django isn't installed as a distribution.")
        installed = Path(distribution.locate_file("django/__init__.py"))
        if installed.resolve() != Path(django.__file__).resolve():
            self.skipTest("The installed Django isn't the one under test.")
        self.assertFloorsAboveAdvisories(
            [
                requirement
                for requirement in distribution.requires or []
                if "extra ==" not in requirement
            ]
        )

    def test_floors(self):
        self.assertEqual(
            floors(
                [
                    "asgiref >= 3.11.1, < 4",
                    'backports.zoneinfo; python_version<"3.9"',
                    "sqlparse (>=0.6.0)",
                    "Some_Package[extra]>=1.2",
                    "tzdata; sys_platform == 'win32'",
                ]
            ),
            {
                "asgiref": "3.11.1",
                "backports-zoneinfo": None,
                "sqlparse": "0.6.0",
                "some-package": "1.2",
                "tzdata": None,
            },
        )

    def test_floor_below_an_advisory_fails(self):
        msg = "sqlparse >= 0.5.0 allows releases affected by"
        with self.assertRaisesMessage(AssertionError, msg):
            self.assertFloorsAboveAdvisories(["asgiref>=3.11.1", "sqlparse>=0.5.0"])

    def test_requirement_without_floor_fails(self):
        with self.assertRaisesMessage(AssertionError, "sqlparse has no minimum"):
            self.assertFloorsAboveAdvisories(["asgiref>=3.11.1", "sqlparse"])
