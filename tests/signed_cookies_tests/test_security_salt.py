"""
The signer's salt of signed cookies (CVE-2026-6873).

The cookie's name and the caller's salt used to be joined into the signer's
salt, so that a value signed for the cookie "a" with the salt "bc" was
accepted as the cookie "ab" read with the salt "c".
"""

from django.conf import global_settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.test import SimpleTestCase, override_settings
from django.test.utils import freeze_time


def sign_like_older_releases(name, value, salt=""):
    """Sign `value` the way set_signed_cookie() did before the fix."""
    return signing.get_cookie_signer(salt=name + salt).sign(value)


def request_with_cookie(name, value):
    request = HttpRequest()
    request.COOKIES[name] = value
    return request


class SignedCookieSaltTests(SimpleTestCase):
    def signed_value(self, name, value, salt=""):
        response = HttpResponse()
        response.set_signed_cookie(name, value, salt=salt)
        return response.cookies[name].value

    def test_value_moved_between_name_and_salt_rejected(self):
        value = self.signed_value("a", "hello", salt="bc")
        request = request_with_cookie("ab", value)
        with self.assertRaises(signing.BadSignature):
            request.get_signed_cookie("ab", salt="c")
        self.assertIsNone(request.get_signed_cookie("ab", salt="c", default=None))
        # The same value still reads back under its own name and salt.
        request = request_with_cookie("a", value)
        self.assertEqual(request.get_signed_cookie("a", salt="bc"), "hello")

    def test_empty_salt_and_name_containing_salt_differ(self):
        value = self.signed_value("session", "1", salt="")
        request = request_with_cookie("sess", value)
        with self.assertRaises(signing.BadSignature):
            request.get_signed_cookie("sess", salt="ion")

    def test_salt_derivation(self):
        # The salt is the one upstream Django uses since 5.2.15 and 6.0.6, so
        # the fork and upstream read each other's signed cookies.
        self.assertEqual(
            signing._signed_cookie_salt("visits", "probe"),
            "django.http.cookies.v2:5:probevisits",
        )
        self.assertEqual(
            signing._signed_cookie_salt("visits"), "django.http.cookies.v2:0:visits"
        )
        value = self.signed_value("visits", "3", salt="probe")
        signer = signing.get_cookie_signer(salt="django.http.cookies.v2:5:probevisits")
        self.assertEqual(signer.unsign(value), "3")

    def test_new_cookie_isnt_signed_with_old_salt(self):
        value = self.signed_value("a", "hello", salt="bc")
        with self.assertRaises(signing.BadSignature):
            signing.get_cookie_signer(salt="abc").unsign(value)

    def test_fallback_on_by_default(self):
        self.assertIs(global_settings.SIGNED_COOKIE_LEGACY_SALT_FALLBACK, True)

    def test_cookie_signed_by_older_release_accepted(self):
        request = request_with_cookie(
            "a", sign_like_older_releases("a", "hello", salt="bc")
        )
        self.assertEqual(request.get_signed_cookie("a", salt="bc"), "hello")

    @override_settings(SIGNED_COOKIE_LEGACY_SALT_FALLBACK=False)
    def test_cookie_signed_by_older_release_rejected_without_fallback(self):
        request = request_with_cookie(
            "a", sign_like_older_releases("a", "hello", salt="bc")
        )
        with self.assertRaises(signing.BadSignature):
            request.get_signed_cookie("a", salt="bc")
        self.assertEqual(request.get_signed_cookie("a", "gone", salt="bc"), "gone")

    @override_settings(SIGNED_COOKIE_LEGACY_SALT_FALLBACK=False)
    def test_old_collision_rejected_without_fallback(self):
        request = request_with_cookie(
            "ab", sign_like_older_releases("a", "hello", salt="bc")
        )
        with self.assertRaises(signing.BadSignature):
            request.get_signed_cookie("ab", salt="c")

    @override_settings(SIGNED_COOKIE_LEGACY_SALT_FALLBACK=False)
    def test_new_cookie_accepted_without_fallback(self):
        request = request_with_cookie("a", self.signed_value("a", "hello", "bc"))
        self.assertEqual(request.get_signed_cookie("a", salt="bc"), "hello")

    def assertExpiresAfterMaxAge(self, sign):
        """A cookie signed 100 s ago by sign() is too old for max_age=60 only."""
        with freeze_time(1000000):
            value = sign("a", "hello", salt="bc")
        request = request_with_cookie("a", value)
        with freeze_time(1000100):
            with self.assertRaises(signing.SignatureExpired):
                request.get_signed_cookie("a", salt="bc", max_age=60)
            self.assertEqual(
                request.get_signed_cookie("a", salt="bc", max_age=200), "hello"
            )

    def test_expired_cookie_raises_signature_expired(self):
        self.assertExpiresAfterMaxAge(self.signed_value)

    def test_expired_cookie_signed_by_older_release(self):
        self.assertExpiresAfterMaxAge(sign_like_older_releases)

    def test_tampered_value_rejected_with_fallback(self):
        value = self.signed_value("a", "hello", salt="bc")
        request = request_with_cookie("a", "jello" + value[len("hello") :])
        with self.assertRaises(signing.BadSignature):
            request.get_signed_cookie("a", salt="bc")
