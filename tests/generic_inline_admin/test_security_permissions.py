"""
Generic inlines check the inline model's add and change permissions on POST
(CVE-2026-4277), as InlineModelAdmin does.
"""

from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory, TestCase, override_settings
from django.urls import reverse

from .admin import MediaInline
from .admin import site as admin_site
from .models import Episode, Media

PREFIX = "generic_inline_admin-media-content_type-object_id"


@override_settings(ROOT_URLCONF="generic_inline_admin.urls")
class GenericInlinePermissionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = User.objects.create_user(
            username="editor", password="secret", is_staff=True
        )
        cls.user.user_permissions.add(
            *Permission.objects.filter(
                content_type=ContentType.objects.get_for_model(Episode),
                codename__in=["view_episode", "change_episode"],
            )
        )
        cls.episode = Episode.objects.create(name="Episode 1")
        cls.media = Media.objects.create(
            content_object=cls.episode, url="http://example.com/podcast.mp3"
        )
        cls.change_url = reverse(
            "admin:generic_inline_admin_episode_change", args=(cls.episode.pk,)
        )

    def setUp(self):
        self.client.force_login(self.user)

    def grant_media(self, *actions):
        self.user.user_permissions.add(
            *Permission.objects.filter(
                content_type=ContentType.objects.get_for_model(Media),
                codename__in=["%s_media" % action for action in actions],
            )
        )

    def post_data(self, existing_url, new_url):
        """A change form with the existing media and one new media form."""
        return {
            "name": "Episode 1",
            f"{PREFIX}-TOTAL_FORMS": "2",
            f"{PREFIX}-INITIAL_FORMS": "1",
            f"{PREFIX}-MAX_NUM_FORMS": "1000",
            f"{PREFIX}-0-id": str(self.media.pk),
            f"{PREFIX}-0-url": existing_url,
            f"{PREFIX}-1-id": "",
            f"{PREFIX}-1-url": new_url,
        }

    def test_forged_add_without_add_permission(self):
        self.grant_media("view", "change")
        response = self.client.post(
            self.change_url,
            self.post_data(self.media.url, "http://example.com/forged.mp3"),
        )
        self.assertEqual(response.status_code, 302)
        self.assertQuerysetEqual(
            Media.objects.order_by("pk"), [self.media.url], transform=str
        )

    def test_forged_add_view_only(self):
        self.grant_media("view")
        response = self.client.post(
            self.change_url,
            self.post_data(self.media.url, "http://example.com/forged.mp3"),
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Media.objects.count(), 1)

    def test_add_with_add_permission(self):
        self.grant_media("view", "add")
        response = self.client.post(
            self.change_url,
            self.post_data(self.media.url, "http://example.com/new.mp3"),
        )
        self.assertEqual(response.status_code, 302)
        self.assertQuerysetEqual(
            Media.objects.order_by("pk"),
            [self.media.url, "http://example.com/new.mp3"],
            transform=str,
        )

    def test_change_without_change_permission(self):
        self.grant_media("view", "add")
        response = self.client.post(
            self.change_url, self.post_data("http://example.com/changed.mp3", "")
        )
        self.assertEqual(response.status_code, 302)
        self.media.refresh_from_db()
        self.assertEqual(self.media.url, "http://example.com/podcast.mp3")

    def bound_formset(self, new_url):
        """
        Return the inline's formset for the test user, bound to data that
        keeps the existing media and adds one at new_url.
        """
        request = RequestFactory().post(self.change_url)
        request.user = User.objects.get(pk=self.user.pk)
        FormSet = MediaInline(Episode, admin_site).get_formset(request, self.episode)
        return FormSet(
            self.post_data(self.media.url, new_url),
            instance=self.episode,
            prefix=PREFIX,
        )

    def test_formset_refuses_new_object_without_add_permission(self):
        # The formset itself, used outside the change view, saves no new
        # object for a user without the add permission.
        self.grant_media("view", "change")
        formset = self.bound_formset("http://example.com/forged.mp3")
        self.assertIs(formset.is_valid(), True)
        self.assertEqual(formset.save(), [])
        self.assertEqual(Media.objects.count(), 1)

    def test_formset_saves_new_object_with_add_permission(self):
        self.grant_media("view", "add")
        formset = self.bound_formset("http://example.com/new.mp3")
        self.assertIs(formset.is_valid(), True)
        self.assertEqual(
            [media.url for media in formset.save()], ["http://example.com/new.mp3"]
        )
