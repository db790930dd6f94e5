"""
ModelAdmin.list_editable edits the listed objects and never creates one, even
from POST data that holds forms for new objects (CVE-2026-4292).
"""

from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages.storage.cookie import CookieStorage
from django.forms import modelformset_factory
from django.test import RequestFactory, TestCase, override_settings
from django.urls import reverse

from .admin import SwallowAdmin
from .admin import site as custom_site
from .models import Swallow


def management_form(total, initial):
    return {
        "form-TOTAL_FORMS": str(total),
        "form-INITIAL_FORMS": str(initial),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }


@override_settings(ROOT_URLCONF="admin_changelist.urls")
class ListEditableCreatesNothingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.superuser = User.objects.create_superuser(
            username="super", email="super@example.com", password="secret"
        )
        cls.swallow = Swallow.objects.create(origin="Swallow A", load=4, speed=1)
        cls.changelist_url = reverse("admin:admin_changelist_swallow_changelist")

    def assertOnlySwallowA(self):
        self.assertQuerysetEqual(
            Swallow.objects.all(), [self.swallow.pk], transform=lambda s: s.pk
        )

    def extra_form_data(self):
        """The listed swallow, edited, and a forged extra form."""
        return {
            **management_form(total=2, initial=1),
            "form-0-uuid": str(self.swallow.pk),
            "form-0-load": "5.0",
            "form-0-speed": "1.0",
            "form-1-uuid": "",
            "form-1-load": "99.0",
            "form-1-speed": "99.0",
        }

    def test_extra_form_creates_nothing(self):
        self.client.force_login(self.superuser)
        response = self.client.post(
            self.changelist_url, self.extra_form_data(), follow=True
        )
        self.assertContains(response, "1 swallow was changed successfully.")
        self.assertOnlySwallowA()
        self.swallow.refresh_from_db()
        self.assertEqual(self.swallow.load, 5.0)

    def test_extra_form_creates_nothing_for_user_without_add_permission(self):
        user = User.objects.create_user(
            username="editor", password="secret", is_staff=True
        )
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type=ContentType.objects.get_for_model(Swallow),
                codename__in=["view_swallow", "change_swallow"],
            )
        )
        self.client.force_login(user)
        response = self.client.post(self.changelist_url, self.extra_form_data())
        self.assertEqual(response.status_code, 302)
        self.assertOnlySwallowA()

    def test_changelist_formset_saves_no_new_object(self):
        request = RequestFactory().post(self.changelist_url)
        request.user = self.superuser
        FormSet = SwallowAdmin(Swallow, custom_site).get_changelist_formset(request)
        formset = FormSet(self.extra_form_data(), queryset=Swallow.objects.all())
        self.assertIs(formset.is_valid(), True)
        self.assertEqual(formset.save(), [self.swallow])
        self.assertOnlySwallowA()

    def test_custom_changelist_formset_creates_nothing(self):
        class PlainFormSetSwallowAdmin(SwallowAdmin):
            def get_changelist_formset(self, request, **kwargs):
                return modelformset_factory(Swallow, fields=self.list_editable, extra=0)

        model_admin = PlainFormSetSwallowAdmin(Swallow, custom_site)
        request = RequestFactory().post(self.changelist_url, self.extra_form_data())
        request.user = self.superuser
        request._messages = CookieStorage(request)
        request._dont_enforce_csrf_checks = True
        response = model_admin.changelist_view(request)
        self.assertEqual(response.status_code, 302)
        self.assertOnlySwallowA()
        self.swallow.refresh_from_db()
        self.assertEqual(self.swallow.load, 5.0)
