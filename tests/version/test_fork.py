import re

import django
from django.test import SimpleTestCase

# PEP 440 public version (release, optional pre-release) plus a local label.
PEP440_LOCAL_VERSION = re.compile(
    r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?\+[a-z0-9]+(\.[a-z0-9]+)*$"
)


class ForkVersionTests(SimpleTestCase):
    def test_get_version_is_dunder_version(self):
        self.assertEqual(django.get_version(), django.__version__)

    def test_version_ends_with_fork_label(self):
        self.assertTrue(django.FORK_LABEL)
        self.assertTrue(django.get_version().endswith("+" + django.FORK_LABEL))

    def test_version_is_pep440_local_version(self):
        self.assertRegex(django.get_version(), PEP440_LOCAL_VERSION)
