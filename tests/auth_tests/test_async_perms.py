"""
The asynchronous permission API of users and backends, the async user
managers, and aauthenticate() dispatching to the backends' a-methods.
"""

import sys
import threading

from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    aauthenticate,
    aget_user,
    get_user_model,
)
from django.contrib.auth.backends import BaseBackend, ModelBackend, RemoteUserBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.contrib.auth.signals import user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.test import RequestFactory, TestCase, override_settings
from django.views.debug import technical_500_response
from django.views.decorators.debug import sensitive_variables

from .models import CustomUser

UserModel = get_user_model()

# Built, so that the source lines an error report shows don't contain it.
SECRET = "-".join(["correct", "horse", "battery", "staple"])


def record_thread(backend):
    backend.threads.append(threading.get_ident())


class StaticPermsBackend(BaseBackend):
    """Only the synchronous API, through BaseBackend's defaults."""

    def get_user_permissions(self, user_obj, obj=None):
        return {"shelf.read"}

    def get_group_permissions(self, user_obj, obj=None):
        return {"shelf.write"}


class DottedlessBackend(ModelBackend):
    """A backend whose permission names lack the app label."""

    def get_user_permissions(self, user_obj, obj=None):
        return {"undotted"}

    def get_group_permissions(self, user_obj, obj=None):
        return set()


def refuse(*args, **kwargs):
    raise PermissionDenied


async def arefuse(*args, **kwargs):
    raise PermissionDenied


class DenyingBackend(BaseBackend):
    """Stops every permission check, sync and async."""

    has_perm = has_module_perms = refuse
    ahas_perm = ahas_module_perms = arefuse


class PlainSyncBackend:
    """Not a BaseBackend: no a-method at all."""

    threads = []

    def authenticate(self, request, token=None):
        record_thread(self)
        if token == "letmein":
            return User.objects.get(username="ann")

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id).first()

    def has_perm(self, user_obj, perm, obj=None):
        record_thread(self)
        return perm == "plain.ok"

    def has_module_perms(self, user_obj, app_label):
        return app_label == "plain"

    def get_all_permissions(self, user_obj, obj=None):
        return {"plain.ok"}


class SyncOverrideBackend(ModelBackend):
    """Overrides synchronous methods only, below ModelBackend's a-methods."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username == "ann" and password == "master-key":
            return User.objects.get(username="ann")

    def get_user(self, user_id):
        user = super().get_user(user_id)
        if user is not None:
            user.fetched_by = "sync override"
        return user


class AsyncOnlyAuthBackend(BaseBackend):
    """Its sync authenticate() refuses everything; aauthenticate() must be used."""

    def authenticate(self, request, username=None, password=None):
        raise AssertionError("authenticate() used instead of aauthenticate()")

    async def aauthenticate(self, request, username=None, password=None):
        if password == "async-secret":
            return await User.objects.aget(username=username)


class FailingBackend(BaseBackend):
    """Fails with an error report, which must not show the password."""

    @sensitive_variables("password")
    async def aauthenticate(self, request, username=None, password=None):
        raise ZeroDivisionError


class ConfiguringRemoteUserBackend(RemoteUserBackend):
    def configure_user(self, request, user, created=True):
        user.last_name = "created" if created else "known"
        user.save()
        return user


class LegacyConfiguringRemoteUserBackend(RemoteUserBackend):
    """configure_user() without the created argument (Django < 4.2)."""

    def configure_user(self, request, user):
        user.last_name = "configured"
        user.save()
        return user


class PermissionsFixture:
    @classmethod
    def setUpTestData(cls):
        ct = ContentType.objects.get_for_model(Group)
        cls.read = Permission.objects.create(
            name="read", content_type=ct, codename="read_shelf"
        )
        cls.write = Permission.objects.create(
            name="write", content_type=ct, codename="write_shelf"
        )
        cls.editors = Group.objects.create(name="editors")
        cls.editors.permissions.add(cls.write)
        cls.user = User.objects.create_user("ann", password="secret")
        cls.user.user_permissions.add(cls.read)
        cls.user.groups.add(cls.editors)
        cls.inactive = User.objects.create_user(
            "ben", password="secret", is_active=False
        )
        cls.inactive.user_permissions.add(cls.read)
        cls.superuser = User.objects.create_superuser("cat", password="secret")

    async def fresh(self, username):
        # A new instance, without the permission caches of another test.
        return await User.objects.aget(username=username)


class ModelBackendAsyncPermsTests(PermissionsFixture, TestCase):
    async def test_aget_user_permissions(self):
        user = await self.fresh("ann")
        self.assertEqual(await user.aget_user_permissions(), {"auth.read_shelf"})

    async def test_aget_group_permissions(self):
        user = await self.fresh("ann")
        self.assertEqual(await user.aget_group_permissions(), {"auth.write_shelf"})

    async def test_aget_all_permissions(self):
        user = await self.fresh("ann")
        self.assertEqual(
            await user.aget_all_permissions(), {"auth.read_shelf", "auth.write_shelf"}
        )

    async def test_aget_all_permissions_cached(self):
        user = await self.fresh("ann")
        perms = await user.aget_all_permissions()
        # The sync API reads the same cache: a query here would raise
        # SynchronousOnlyOperation.
        self.assertEqual(user.get_all_permissions(), perms)
        self.assertIs(user.has_perm("auth.read_shelf"), True)

    async def test_ahas_perm(self):
        user = await self.fresh("ann")
        self.assertIs(await user.ahas_perm("auth.read_shelf"), True)
        self.assertIs(await user.ahas_perm("auth.write_shelf"), True)
        self.assertIs(await user.ahas_perm("auth.delete_shelf"), False)

    async def test_ahas_perm_object_permissions_unsupported(self):
        user = await self.fresh("ann")
        self.assertIs(await user.ahas_perm("auth.read_shelf", self.editors), False)

    async def test_ahas_perms(self):
        user = await self.fresh("ann")
        self.assertIs(
            await user.ahas_perms(["auth.read_shelf", "auth.write_shelf"]), True
        )
        self.assertIs(
            await user.ahas_perms(("auth.read_shelf", "auth.delete_shelf")), False
        )
        self.assertIs(await user.ahas_perms([]), True)

    async def test_ahas_perms_perm_list_invalid(self):
        user = await self.fresh("ann")
        msg = "perm_list must be an iterable of permissions."
        for perm_list in ("auth.read_shelf", object(), 7):
            with self.subTest(perm_list=perm_list):
                with self.assertRaisesMessage(ValueError, msg):
                    await user.ahas_perms(perm_list)

    def test_has_perms_perm_list_invalid(self):
        msg = "perm_list must be an iterable of permissions."
        with self.assertRaisesMessage(ValueError, msg):
            self.user.has_perms("auth.read_shelf")
        with self.assertRaisesMessage(ValueError, msg):
            AnonymousUser().has_perms(object())

    async def test_ahas_module_perms(self):
        user = await self.fresh("ann")
        self.assertIs(await user.ahas_module_perms("auth"), True)
        self.assertIs(await user.ahas_module_perms("admin"), False)

    async def test_inactive_user(self):
        user = await self.fresh("ben")
        self.assertEqual(await user.aget_all_permissions(), set())
        self.assertEqual(await user.aget_user_permissions(), set())
        self.assertIs(await user.ahas_perm("auth.read_shelf"), False)
        self.assertIs(await user.ahas_module_perms("auth"), False)

    async def test_superuser(self):
        user = await self.fresh("cat")
        self.assertIs(await user.ahas_perm("any.thing"), True)
        self.assertIs(await user.ahas_module_perms("any"), True)
        self.assertIn("auth.read_shelf", await user.aget_all_permissions())

    async def test_anonymous_user(self):
        user = AnonymousUser()
        self.assertEqual(await user.aget_user_permissions(), set())
        self.assertEqual(await user.aget_group_permissions(), set())
        self.assertEqual(await user.aget_all_permissions(), set())
        self.assertIs(await user.ahas_perm("auth.read_shelf"), False)
        self.assertIs(await user.ahas_perms(["auth.read_shelf"]), False)
        self.assertIs(await user.ahas_module_perms("auth"), False)
        with self.assertRaisesMessage(
            ValueError, "perm_list must be an iterable of permissions."
        ):
            await user.ahas_perms("auth.read_shelf")

    async def test_backend_methods(self):
        backend = ModelBackend()
        user = await self.fresh("ann")
        self.assertEqual(await backend.aget_user_permissions(user), {"auth.read_shelf"})
        self.assertEqual(
            await backend.aget_group_permissions(user), {"auth.write_shelf"}
        )
        self.assertIs(await backend.ahas_perm(user, "auth.write_shelf"), True)
        self.assertIs(await backend.ahas_module_perms(user, "auth"), True)
        self.assertEqual(await backend.aget_user(user.pk), user)
        self.assertIsNone(await backend.aget_user(0))
        # Inactive users are not returned, as by get_user().
        self.assertIsNone(await backend.aget_user(self.inactive.pk))


@override_settings(
    AUTHENTICATION_BACKENDS=["auth_tests.test_async_perms.StaticPermsBackend"]
)
class BaseBackendAsyncTests(PermissionsFixture, TestCase):
    async def test_defaults_use_sync_methods(self):
        user = await self.fresh("ann")
        self.assertEqual(await user.aget_user_permissions(), {"shelf.read"})
        self.assertEqual(await user.aget_group_permissions(), {"shelf.write"})
        self.assertEqual(
            await user.aget_all_permissions(), {"shelf.read", "shelf.write"}
        )
        self.assertIs(await user.ahas_perm("shelf.write"), True)
        self.assertIs(await user.ahas_perm("shelf.burn"), False)

    async def test_base_backend_authenticates_nobody(self):
        backend = BaseBackend()
        self.assertIsNone(await backend.aauthenticate(None, username="ann"))
        self.assertIsNone(await backend.aget_user(self.user.pk))


@override_settings(
    AUTHENTICATION_BACKENDS=["auth_tests.test_async_perms.DottedlessBackend"]
)
class PermissionWithoutDotTests(PermissionsFixture, TestCase):
    async def test_ahas_module_perms_raises(self):
        # As has_module_perms(): a permission name needs "app_label.".
        user = await self.fresh("ann")
        with self.assertRaisesMessage(ValueError, "substring not found"):
            await user.ahas_module_perms("auth")
        with self.assertRaisesMessage(ValueError, "substring not found"):
            self.user.has_module_perms("auth")


@override_settings(
    AUTHENTICATION_BACKENDS=[
        "auth_tests.test_async_perms.DenyingBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
)
class PermissionDeniedAsyncTests(PermissionsFixture, TestCase):
    async def test_ahas_perm_short_circuits(self):
        user = await self.fresh("ann")
        self.assertIs(await user.ahas_perm("auth.read_shelf"), False)
        self.assertIs(await user.ahas_module_perms("auth"), False)
        # A superuser doesn't ask the backends.
        self.assertIs(await (await self.fresh("cat")).ahas_perm("x.y"), True)


@override_settings(
    AUTHENTICATION_BACKENDS=["auth_tests.test_async_perms.PlainSyncBackend"]
)
class SyncOnlyBackendTests(PermissionsFixture, TestCase):
    def setUp(self):
        PlainSyncBackend.threads = []

    async def test_sync_methods_run_in_a_thread(self):
        user = await self.fresh("ann")
        self.assertIs(await user.ahas_perm("plain.ok"), True)
        self.assertIs(await user.ahas_perm("plain.no"), False)
        self.assertIs(await user.ahas_module_perms("plain"), True)
        self.assertEqual(await user.aget_all_permissions(), {"plain.ok"})
        # Methods it lacks are skipped, as by the sync API.
        self.assertEqual(await user.aget_user_permissions(), set())
        self.assertNotIn(threading.get_ident(), PlainSyncBackend.threads)

    async def test_aauthenticate(self):
        user = await aauthenticate(token="letmein")
        self.assertEqual(user, self.user)
        self.assertEqual(user.backend, "auth_tests.test_async_perms.PlainSyncBackend")
        self.assertIsNone(await aauthenticate(token="wrong"))
        self.assertNotIn(threading.get_ident(), PlainSyncBackend.threads)


@override_settings(
    AUTHENTICATION_BACKENDS=["auth_tests.test_async_perms.SyncOverrideBackend"]
)
class SyncOverrideBackendTests(PermissionsFixture, TestCase):
    async def test_sync_authenticate_override_is_used(self):
        user = await aauthenticate(username="ann", password="master-key")
        self.assertEqual(user, self.user)
        # ModelBackend's own check isn't what runs.
        self.assertIsNone(await aauthenticate(username="ann", password="secret"))

    async def test_sync_get_user_override_is_used(self):
        request = HttpRequest()
        request.session = SessionStore()
        await request.session.aset(SESSION_KEY, str(self.user.pk))
        await request.session.aset(
            BACKEND_SESSION_KEY, "auth_tests.test_async_perms.SyncOverrideBackend"
        )
        await request.session.aset(HASH_SESSION_KEY, self.user.get_session_auth_hash())
        user = await aget_user(request)
        self.assertEqual(user, self.user)
        self.assertEqual(user.fetched_by, "sync override")


@override_settings(
    AUTHENTICATION_BACKENDS=["auth_tests.test_async_perms.AsyncOnlyAuthBackend"]
)
class AsyncBackendAuthenticateTests(PermissionsFixture, TestCase):
    async def test_aauthenticate_awaits_backend(self):
        user = await aauthenticate(username="ann", password="async-secret")
        self.assertEqual(user, self.user)
        self.assertEqual(
            user.backend, "auth_tests.test_async_perms.AsyncOnlyAuthBackend"
        )

    async def test_aauthenticate_failure_signal(self):
        calls = []

        def receiver(sender, credentials, request, **kwargs):
            calls.append(credentials)

        user_login_failed.connect(receiver)
        self.addCleanup(user_login_failed.disconnect, receiver)
        self.assertIsNone(await aauthenticate(username="ann", password="nope"))
        self.assertEqual(
            calls, [{"username": "ann", "password": "********************"}]
        )


@override_settings(
    AUTHENTICATION_BACKENDS=["auth_tests.test_async_perms.FailingBackend"]
)
class AauthenticateErrorReportTests(TestCase):
    async def test_credentials_hidden(self):
        try:
            await aauthenticate(username="ann", password=SECRET)
        except ZeroDivisionError:
            exc_info = sys.exc_info()
        response = technical_500_response(RequestFactory().get("/"), *exc_info)
        self.assertNotContains(response, SECRET, status_code=500)
        self.assertContains(response, "FailingBackend", status_code=500)


class ModelBackendAauthenticateTests(PermissionsFixture, TestCase):
    async def test_aauthenticate(self):
        backend = ModelBackend()
        self.assertEqual(
            await backend.aauthenticate(None, username="ann", password="secret"),
            self.user,
        )
        self.assertIsNone(
            await backend.aauthenticate(None, username="ann", password="wrong")
        )
        self.assertIsNone(
            await backend.aauthenticate(None, username="nobody", password="secret")
        )
        self.assertIsNone(await backend.aauthenticate(None, username="ann"))

    async def test_aauthenticate_inactive_user(self):
        backend = ModelBackend()
        self.assertIsNone(
            await backend.aauthenticate(None, username="ben", password="secret")
        )

    async def test_aauthenticate_username_field_kwarg(self):
        backend = ModelBackend()
        user = await backend.aauthenticate(
            None, **{UserModel.USERNAME_FIELD: "ann", "password": "secret"}
        )
        self.assertEqual(user, self.user)


class AsyncUserManagerTests(TestCase):
    async def test_acreate_user(self):
        user = await User.objects.acreate_user(
            "dan", "dan@EXAMPLE.com", "pw", first_name="Dan"
        )
        self.assertEqual(user.email, "dan@example.com")
        self.assertIs(user.is_staff, False)
        self.assertIs(user.is_superuser, False)
        self.assertIs(await user.acheck_password("pw"), True)
        saved = await User.objects.aget(username="dan")
        self.assertEqual(saved.first_name, "Dan")
        self.assertTrue(saved.password.startswith(user.password[:8]))

    async def test_acreate_user_without_password(self):
        user = await User.objects.acreate_user("eve")
        self.assertIs(user.has_usable_password(), False)

    async def test_acreate_user_no_username(self):
        with self.assertRaisesMessage(ValueError, "The given username must be set"):
            await User.objects.acreate_user("")

    async def test_acreate_superuser(self):
        user = await User.objects.acreate_superuser("fay", "fay@example.com", "pw")
        self.assertIs(user.is_staff, True)
        self.assertIs(user.is_superuser, True)

    async def test_acreate_superuser_errors(self):
        with self.assertRaisesMessage(ValueError, "Superuser must have is_staff=True."):
            await User.objects.acreate_superuser("gus", is_staff=False)
        with self.assertRaisesMessage(
            ValueError, "Superuser must have is_superuser=True."
        ):
            await User.objects.acreate_superuser("gus", is_superuser=False)
        self.assertIs(await User.objects.filter(username="gus").aexists(), False)

    def test_alters_data(self):
        self.assertIs(User.objects.acreate_user.alters_data, True)
        self.assertIs(User.objects.acreate_superuser.alters_data, True)

    async def test_aget_by_natural_key(self):
        user = await User.objects.acreate_user("hal")
        self.assertEqual(await User.objects.aget_by_natural_key("hal"), user)
        with self.assertRaises(User.DoesNotExist):
            await User.objects.aget_by_natural_key("nobody")

    async def test_aget_by_natural_key_custom_username_field(self):
        user = await CustomUser.custom_objects.acreate(
            email="ida@example.com", date_of_birth="1990-01-01"
        )
        self.assertEqual(
            await CustomUser.custom_objects.aget_by_natural_key("ida@example.com"),
            user,
        )

    async def test_group_aget_by_natural_key(self):
        group = await Group.objects.acreate(name="readers")
        self.assertEqual(await Group.objects.aget_by_natural_key("readers"), group)
        with self.assertRaises(Group.DoesNotExist):
            await Group.objects.aget_by_natural_key("writers")


class RemoteUserBackendAsyncTests(TestCase):
    async def test_aauthenticate_creates_user(self):
        backend = RemoteUserBackend()
        user = await backend.aauthenticate(None, remote_user="jo")
        self.assertEqual(user.username, "jo")
        self.assertEqual(await backend.aauthenticate(None, remote_user="jo"), user)
        self.assertIsNone(await backend.aauthenticate(None, remote_user=""))

    async def test_aauthenticate_unknown_user_not_created(self):
        backend = RemoteUserBackend()
        backend.create_unknown_user = False
        self.assertIsNone(await backend.aauthenticate(None, remote_user="kim"))
        self.assertIs(await User.objects.filter(username="kim").aexists(), False)

    async def test_aauthenticate_inactive_user(self):
        await User.objects.acreate(username="lee", is_active=False)
        self.assertIsNone(await RemoteUserBackend().aauthenticate(None, "lee"))

    async def test_aconfigure_user_created(self):
        backend = ConfiguringRemoteUserBackend()
        user = await backend.aauthenticate(None, remote_user="max")
        self.assertEqual(user.last_name, "created")
        user = await backend.aauthenticate(None, remote_user="max")
        self.assertEqual(user.last_name, "known")

    def test_configure_user_created(self):
        backend = ConfiguringRemoteUserBackend()
        self.assertEqual(backend.authenticate(None, "ned").last_name, "created")
        self.assertEqual(backend.authenticate(None, "ned").last_name, "known")

    async def test_legacy_configure_user_only_for_new_users(self):
        backend = LegacyConfiguringRemoteUserBackend()
        user = await backend.aauthenticate(None, remote_user="oz")
        self.assertEqual(user.last_name, "configured")
        await User.objects.filter(pk=user.pk).aupdate(last_name="")
        user = await backend.aauthenticate(None, remote_user="oz")
        self.assertEqual(user.last_name, "")
