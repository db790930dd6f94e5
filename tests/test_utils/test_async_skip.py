import unittest

from django.test import SimpleTestCase, skipIfDBFeature, skipUnlessDBFeature


class AsyncDeferredSkipTests(SimpleTestCase):
    """The database feature skips run async tests, or skip them."""

    def run_test(self, decorator):
        ran = []

        class Tests(SimpleTestCase):
            databases = {"default"}

            @decorator
            async def test(self):
                ran.append(True)

        result = unittest.TestResult()
        Tests("test")(result)
        return ran, result

    def test_run_when_the_feature_is_there(self):
        ran, result = self.run_test(skipUnlessDBFeature("__class__"))
        self.assertEqual(ran, [True])
        self.assertEqual((result.errors, result.failures, result.skipped), ([], [], []))

    def test_skipped_when_the_feature_is_missing(self):
        ran, result = self.run_test(skipUnlessDBFeature("missing"))
        self.assertEqual(ran, [])
        self.assertEqual(len(result.skipped), 1)
        ran, result = self.run_test(skipIfDBFeature("__class__"))
        self.assertEqual(ran, [])
        self.assertEqual(len(result.skipped), 1)

    def test_failure_is_reported(self):
        class Tests(SimpleTestCase):
            databases = {"default"}

            @skipUnlessDBFeature("__class__")
            async def test(self):
                self.fail("ran")

        result = unittest.TestResult()
        Tests("test")(result)
        self.assertEqual(len(result.failures), 1)
