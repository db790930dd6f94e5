from datetime import datetime

from django.db import connection
from django.test import TestCase, skipUnlessDBFeature
from django.test.utils import CaptureQueriesContext

from .models import Article, SelfRef


class RefreshFromQuerysetTests(TestCase):
    databases = {"default", "other"}

    @classmethod
    def setUpTestData(cls):
        cls.article = Article.objects.create(
            headline="Original", pub_date=datetime(2024, 1, 1)
        )
        cls.ref = SelfRef.objects.create(article=cls.article)

    def test_from_queryset(self):
        Article.objects.filter(pk=self.article.pk).update(headline="Changed")
        self.article.refresh_from_db(from_queryset=Article.objects.all())
        self.assertEqual(self.article.headline, "Changed")

    def test_queryset_filters_apply(self):
        queryset = Article.objects.exclude(headline="Original")
        with self.assertRaises(Article.DoesNotExist):
            self.article.refresh_from_db(from_queryset=queryset)

    def test_select_related_is_kept(self):
        ref = SelfRef.objects.get(pk=self.ref.pk)
        ref.refresh_from_db(from_queryset=SelfRef.objects.select_related("article"))
        with self.assertNumQueries(0):
            self.assertEqual(ref.article.headline, "Original")

    def test_without_select_related_cache_is_cleared(self):
        ref = SelfRef.objects.select_related("article").get(pk=self.ref.pk)
        other = Article.objects.create(headline="Other", pub_date=datetime(2024, 2, 2))
        SelfRef.objects.filter(pk=ref.pk).update(article=other)
        ref.refresh_from_db(from_queryset=SelfRef.objects.all())
        self.assertEqual(ref.article, other)

    def test_with_fields(self):
        Article.objects.filter(pk=self.article.pk).update(
            headline="Changed", pub_date=datetime(2025, 1, 1)
        )
        self.article.refresh_from_db(
            fields=["headline"], from_queryset=Article.objects.all()
        )
        self.assertEqual(self.article.headline, "Changed")
        self.assertEqual(self.article.pub_date, datetime(2024, 1, 1))

    def test_using_overrides_queryset_database(self):
        with self.assertRaises(Article.DoesNotExist):
            self.article.refresh_from_db(
                using="other", from_queryset=Article.objects.using("default")
            )

    @skipUnlessDBFeature("has_select_for_update")
    def test_select_for_update(self):
        with CaptureQueriesContext(connection) as captured:
            self.article.refresh_from_db(
                from_queryset=Article.objects.select_for_update()
            )
        self.assertIn("FOR UPDATE", captured[0]["sql"])

    async def test_arefresh_from_db(self):
        await Article.objects.filter(pk=self.article.pk).aupdate(headline="Async")
        await self.article.arefresh_from_db(from_queryset=Article.objects.all())
        self.assertEqual(self.article.headline, "Async")

    async def test_arefresh_from_db_select_related(self):
        ref = await SelfRef.objects.aget(pk=self.ref.pk)
        await ref.arefresh_from_db(
            from_queryset=SelfRef.objects.select_related("article")
        )
        self.assertEqual(ref.article.headline, "Original")

    async def test_arefresh_from_db_older_override(self):
        calls = []

        def refresh_from_db(using=None, fields=None):
            calls.append((using, fields))

        # An override written before from_queryset existed.
        self.article.refresh_from_db = refresh_from_db
        await self.article.arefresh_from_db(fields=["headline"])
        self.assertEqual(calls, [(None, ["headline"])])
