import sys

from asgiref.sync import markcoroutinefunction

from django.test import RequestFactory, SimpleTestCase, override_settings
from django.views.debug import ExceptionReporter
from django.views.decorators.debug import (
    coroutine_sensitive_variables,
    sensitive_post_parameters,
    sensitive_variables,
)


@sensitive_variables("password", "card")
async def async_sensitive_function(password, card, username):
    note = "visible"  # NOQA: F841
    raise ValueError("async failure")


@sensitive_variables()
async def async_all_sensitive_function(password):
    raise ValueError("async failure")


@sensitive_post_parameters("password")
@sensitive_variables("secret")
async def async_sensitive_view(request):
    secret = request.POST["password"]  # NOQA: F841
    raise ValueError("view failure")


@override_settings(DEBUG=False)
class AsyncSensitiveVariablesTests(SimpleTestCase):
    rf = RequestFactory()

    def frame_variables(self, request, coroutine):
        try:
            coroutine.send(None)
        except ValueError:
            exc_info = sys.exc_info()
        reporter = ExceptionReporter(request, *exc_info)
        frames = reporter.get_traceback_frames()
        return {
            frame["function"]: dict(frame["vars"])
            for frame in frames
            if frame["function"].startswith("async_")
        }

    def test_returns_the_function(self):
        async def view(request):
            pass

        self.assertIs(sensitive_variables("x")(view), view)
        self.assertEqual(coroutine_sensitive_variables[view.__code__], ("x",))

    def test_named_variables_are_cleansed(self):
        variables = self.frame_variables(
            self.rf.get("/"), async_sensitive_function("hunter2", "4111", "alice")
        )["async_sensitive_function"]
        self.assertEqual(variables["password"], "********************")
        self.assertEqual(variables["card"], "********************")
        self.assertEqual(variables["username"], "alice")
        self.assertEqual(variables["note"], "visible")

    def test_all_variables_are_cleansed(self):
        variables = self.frame_variables(
            self.rf.get("/"), async_all_sensitive_function("hunter2")
        )["async_all_sensitive_function"]
        self.assertEqual(variables["password"], "********************")

    def test_view_and_post_parameters(self):
        request = self.rf.post("/", {"password": "hunter2", "name": "alice"})
        variables = self.frame_variables(request, async_sensitive_view(request))
        self.assertEqual(
            variables["async_sensitive_view"]["secret"], "********************"
        )
        self.assertEqual(request.sensitive_post_parameters, ("password",))
        reporter = ExceptionReporter(request, None, None, None)
        post = reporter.filter.get_post_parameters(request)
        self.assertEqual(post["password"], "********************")
        self.assertEqual(post["name"], "alice")

    def test_not_a_python_function(self):
        class NativeLike:
            __name__ = "native_like"

            async def __call__(self):
                pass

        native = markcoroutinefunction(NativeLike())
        msg = (
            "native_like cannot safely be wrapped by @sensitive_variables, make it "
            "either non-async or defined in a Python file (not a builtin or from a "
            "native extension)."
        )
        with self.assertRaisesMessage(ValueError, msg):
            sensitive_variables()(native)

    def test_must_be_called(self):
        msg = (
            "sensitive_variables() must be called to use it as a decorator, e.g., "
            "use @sensitive_variables(), not @sensitive_variables."
        )
        with self.assertRaisesMessage(TypeError, msg):
            sensitive_variables(async_sensitive_function)
