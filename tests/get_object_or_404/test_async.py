from django.db.models import Q
from django.http import Http404
from django.shortcuts import aget_list_or_404, aget_object_or_404
from django.test import TestCase

from .models import Article, Author


class AsyncGetObjectOr404Tests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.sir = Author.objects.create(name="Brave Sir Robin")
        cls.patsy = Author.objects.create(name="Patsy")
        cls.article = Article.objects.create(title="Run away!")
        cls.article.authors.set([cls.sir, cls.patsy])
        cls.other = Article.objects.create(title="Camelot")
        cls.other.authors.set([cls.patsy])

    async def test_aget_object_or_404_model(self):
        self.assertEqual(
            await aget_object_or_404(Article, title__contains="Run"), self.article
        )

    async def test_aget_object_or_404_positional_q(self):
        self.assertEqual(
            await aget_object_or_404(Article, Q(title__startswith="Cam")), self.other
        )

    async def test_aget_object_or_404_manager(self):
        # by_a_sir's get_queryset() only returns articles by a "sir".
        self.assertEqual(
            await aget_object_or_404(Article.by_a_sir, title__contains="Run"),
            self.article,
        )
        with self.assertRaises(Http404):
            await aget_object_or_404(Article.by_a_sir, title="Camelot")

    async def test_aget_object_or_404_related_manager(self):
        self.assertEqual(
            await aget_object_or_404(self.patsy.article_set, title="Camelot"),
            self.other,
        )
        with self.assertRaises(Http404):
            await aget_object_or_404(self.sir.article_set, title="Camelot")

    async def test_aget_object_or_404_queryset(self):
        queryset = Article.objects.filter(authors=self.sir)
        self.assertEqual(await aget_object_or_404(queryset), self.article)

    async def test_aget_object_or_404_not_found(self):
        msg = "No Article matches the given query."
        with self.assertRaisesMessage(Http404, msg):
            await aget_object_or_404(Article, title="Holy Grail")
        with self.assertRaisesMessage(Http404, msg):
            await aget_object_or_404(Article.objects.none())

    async def test_aget_object_or_404_multiple_objects(self):
        with self.assertRaises(Article.MultipleObjectsReturned):
            await aget_object_or_404(Article)

    async def test_aget_list_or_404_model(self):
        self.assertCountEqual(
            await aget_list_or_404(Article, authors__name="Patsy"),
            [self.article, self.other],
        )

    async def test_aget_list_or_404_manager_and_queryset(self):
        self.assertEqual(
            await aget_list_or_404(Article.by_a_sir, title__icontains="run"),
            [self.article],
        )
        self.assertEqual(
            await aget_list_or_404(Article.objects.order_by("-title")),
            [self.article, self.other],
        )

    async def test_aget_list_or_404_empty(self):
        msg = "No Article matches the given query."
        with self.assertRaisesMessage(Http404, msg):
            await aget_list_or_404(Article, title="Holy Grail")
        with self.assertRaisesMessage(Http404, msg):
            await aget_list_or_404(Article.by_a_sir, title="Camelot")

    async def test_bad_class(self):
        cases = [
            (aget_object_or_404, "str", "Article"),
            (aget_object_or_404, "list", []),
            (aget_object_or_404, "object", object),
            (aget_list_or_404, "str", "Article"),
            (aget_list_or_404, "int", 42),
        ]
        for function, name, klass in cases:
            with self.subTest(function=function.__name__, klass=klass):
                msg = (
                    "First argument to %s() must be a Model, Manager, or "
                    "QuerySet, not '%s'." % (function.__name__, name)
                )
                with self.assertRaisesMessage(ValueError, msg):
                    await function(klass, title="Run away!")

    async def test_bad_class_with_get_but_no_aget(self):
        class SyncOnly:
            def get(self, *args, **kwargs):
                return None

        msg = (
            "First argument to aget_object_or_404() must be a Model, Manager, or "
            "QuerySet, not 'SyncOnly'."
        )
        with self.assertRaisesMessage(ValueError, msg):
            await aget_object_or_404(SyncOnly())

    async def test_queryset_attribute_error(self):
        # An AttributeError raised by get_queryset() isn't mistaken for a
        # missing method and reported as a wrong argument type.
        with self.assertRaisesMessage(AttributeError, "AttributeErrorManager"):
            await aget_object_or_404(Article.attribute_error_objects, pk=1)
        with self.assertRaisesMessage(AttributeError, "AttributeErrorManager"):
            await aget_list_or_404(Article.attribute_error_objects, pk=1)
