"""AsyncClient's follow=True, the twin of Client's."""

from django.http import HttpResponse, HttpResponseRedirect
from django.test import SimpleTestCase, override_settings
from django.test.client import RedirectCycleError
from django.urls import path

METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")


def landing(request):
    return HttpResponse(
        "%s %s %s"
        % (request.method, request.GET.urlencode(), request.body.decode() or "-")
    )


def redirect_to(location, status=302):
    def view(request):
        response = HttpResponseRedirect(location)
        response.status_code = status
        return response

    return view


def grow(request, n):
    # A chain that never repeats a URL.
    return HttpResponseRedirect("/grow/%d/" % (n + 1))


def echo_headers(request):
    return HttpResponse(request.headers.get("x-trace", "-"))


urlpatterns = [
    path("landing/", landing),
    path("once/", redirect_to("/landing/?from=once")),
    path("twice/", redirect_to("/once/")),
    path("relative/deeper/", redirect_to("../../landing/")),
    path("loop/a/", redirect_to("/loop/b/")),
    path("loop/b/", redirect_to("/loop/a/")),
    path("self/", redirect_to("/self/")),
    path("grow/<int:n>/", grow),
    path("temporary/", redirect_to("/landing/?kept=1", status=307)),
    path("permanent/", redirect_to("/landing/", status=308)),
    path("see-other/", redirect_to("/landing/", status=303)),
    path("secure/", redirect_to("https://testserver/landing/")),
    path("to-headers/", redirect_to("/headers/")),
    path("headers/", echo_headers),
]


@override_settings(ROOT_URLCONF=__name__)
class AsyncClientFollowTests(SimpleTestCase):
    async def test_follow_every_method(self):
        for method in METHODS:
            with self.subTest(method=method):
                response = await getattr(self.async_client, method)(
                    "/once/", follow=True
                )
                self.assertEqual(response.status_code, 200)
                self.assertEqual(
                    response.redirect_chain, [("/landing/?from=once", 302)]
                )
                # A 302 turns into a GET, with the redirect's query string.
                self.assertEqual(response.asgi_request.method, "GET")
                self.assertEqual(response.asgi_request.GET.urlencode(), "from=once")

    async def test_no_follow(self):
        response = await self.async_client.get("/once/")
        self.assertEqual(response.status_code, 302)
        self.assertFalse(hasattr(response, "redirect_chain"))

    async def test_follow_not_a_redirect(self):
        response = await self.async_client.get("/landing/", follow=True)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.redirect_chain, [])

    async def test_chain(self):
        response = await self.async_client.get("/twice/", follow=True)
        self.assertEqual(
            response.redirect_chain, [("/once/", 302), ("/landing/?from=once", 302)]
        )
        self.assertRedirects(response, "/landing/?from=once")
        self.assertEqual(response.resolver_match.route, "landing/")

    async def test_relative_redirect(self):
        response = await self.async_client.get("/relative/deeper/", follow=True)
        self.assertEqual(response.redirect_chain, [("../../landing/", 302)])
        self.assertEqual(response.asgi_request.path, "/landing/")

    async def test_loop(self):
        with self.assertRaisesMessage(
            RedirectCycleError, "Redirect loop detected."
        ) as cm:
            await self.async_client.get("/loop/a/", follow=True)
        error = cm.exception
        self.assertEqual(
            error.redirect_chain,
            [("/loop/b/", 302), ("/loop/a/", 302), ("/loop/b/", 302)],
        )
        self.assertEqual(error.last_response.status_code, 302)
        self.assertIs(error.last_response.redirect_chain, error.redirect_chain)

    async def test_redirect_to_self(self):
        with self.assertRaisesMessage(RedirectCycleError, "Redirect loop detected."):
            await self.async_client.post("/self/", follow=True)

    async def test_too_many_redirects(self):
        with self.assertRaisesMessage(RedirectCycleError, "Too many redirects.") as cm:
            await self.async_client.get("/grow/0/", follow=True)
        self.assertEqual(len(cm.exception.redirect_chain), 21)

    async def test_temporary_redirect_keeps_method_and_body(self):
        for status, url in ((307, "/temporary/"), (308, "/permanent/")):
            with self.subTest(status=status):
                response = await self.async_client.post(
                    url, "payload", content_type="text/plain", follow=True
                )
                self.assertEqual(response.redirect_chain[0][1], status)
                method, query, body = response.content.decode().split(" ")
                self.assertEqual((method, body), ("POST", "payload"))
        response = await self.async_client.post(
            "/temporary/", "x=1", content_type="text/plain", follow=True
        )
        # The redirect's URL gives the query string.
        self.assertEqual(response.content, b"POST kept=1 x=1")

    async def test_temporary_redirect_of_get_keeps_data(self):
        response = await self.async_client.get(
            "/temporary/", {"page": "2"}, follow=True
        )
        self.assertEqual(response.content, b"GET page=2 -")

    async def test_see_other_turns_into_get(self):
        response = await self.async_client.put(
            "/see-other/", "body", content_type="text/plain", follow=True
        )
        self.assertEqual(response.content, b"GET  -")

    async def test_headers_kept_through_redirects(self):
        response = await self.async_client.get(
            "/to-headers/", headers={"X-Trace": "abc"}, follow=True
        )
        self.assertEqual(response.content, b"abc")
        response = await self.async_client.get(
            "/to-headers/", X_TRACE="def", follow=True
        )
        self.assertEqual(response.content, b"def")

    async def test_query_params_then_redirect(self):
        response = await self.async_client.post(
            "/once/", query_params={"q": "1"}, follow=True
        )
        self.assertEqual(response.asgi_request.GET.urlencode(), "from=once")

    async def test_redirect_to_https(self):
        response = await self.async_client.get("/secure/", follow=True)
        self.assertEqual(
            response.redirect_chain, [("https://testserver/landing/", 302)]
        )
        self.assertIs(response.asgi_request.is_secure(), True)

    def test_sync_client_same_chain(self):
        # The same redirects, followed by the sync client.
        response = self.client.get("/twice/", follow=True)
        self.assertEqual(
            response.redirect_chain, [("/once/", 302), ("/landing/?from=once", 302)]
        )
        with self.assertRaisesMessage(RedirectCycleError, "Redirect loop detected."):
            self.client.get("/loop/a/", follow=True)
        response = self.client.post(
            "/temporary/", "x=1", content_type="text/plain", follow=True
        )
        self.assertEqual(response.content, b"POST kept=1 x=1")
