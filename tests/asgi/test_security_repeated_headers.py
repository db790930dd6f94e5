from django.core.handlers.asgi import ASGIRequest
from django.test import AsyncRequestFactory, SimpleTestCase


class CountingText(str):
    """A header value that counts how often it takes part in a "+"."""

    additions = 0

    def __add__(self, other):
        CountingText.additions += 1
        return CountingText(str.__add__(self, other))

    def __radd__(self, other):
        CountingText.additions += 1
        return CountingText(str.__add__(other, self))


class CountingBytes(bytes):
    """Raw header bytes that decode to CountingText."""

    def decode(self, *args, **kwargs):
        return CountingText(bytes.decode(self, *args, **kwargs))


class RepeatedHeadersTests(SimpleTestCase):
    """
    CVE-2025-14550: the values of a repeated request header end up in one META
    entry, built without re-copying what was gathered so far.
    """

    factory = AsyncRequestFactory()

    def make_request(self, headers):
        scope = self.factory._base_scope(path="/", headers=headers)
        return ASGIRequest(scope, None)

    def setUp(self):
        CountingText.additions = 0

    def test_repeated_header_values_are_comma_joined_in_order(self):
        request = self.make_request(
            [
                (b"accept-language", b"fr"),
                (b"x-trace", b"one"),
                (b"accept-language", b"de"),
                (b"x-trace", b"two"),
                (b"accept-language", b"en"),
            ]
        )
        self.assertEqual(request.META["HTTP_ACCEPT_LANGUAGE"], "fr,de,en")
        self.assertEqual(request.META["HTTP_X_TRACE"], "one,two")

    def test_single_header_value_is_unchanged(self):
        request = self.make_request([(b"x-trace", b"a,b")])
        self.assertEqual(request.META["HTTP_X_TRACE"], "a,b")

    def test_many_repeats_are_all_kept(self):
        count = 5000
        request = self.make_request(
            [(b"x-many", str(i).encode()) for i in range(count)]
        )
        self.assertEqual(
            request.META["HTTP_X_MANY"].split(","), [str(i) for i in range(count)]
        )

    def test_repeats_do_not_rebuild_the_joined_value(self):
        # Adding each repeat to the value built so far copies that value every
        # time (quadratic work overall). Building META must not add values
        # together one at a time, however many repeats there are.
        request = self.make_request(
            [(CountingBytes(b"x-many"), CountingBytes(b"v")) for _ in range(1000)]
        )
        self.assertEqual(request.META["HTTP_X_MANY"], ",".join(["v"] * 1000))
        self.assertEqual(CountingText.additions, 0)
