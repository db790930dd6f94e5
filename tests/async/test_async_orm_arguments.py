"""The arguments later releases added to ORM methods, through the a-twins."""

from django.db import connection
from django.test import TestCase, skipUnlessDBFeature

from .helpers import AsyncQueryCountMixin
from .models import Author, Book, SimpleModel, SluggedItem


class AsyncBulkCreateConflictsTest(AsyncQueryCountMixin, TestCase):
    @skipUnlessDBFeature("supports_update_conflicts")
    async def test_abulk_create_update_conflicts(self):
        first = await SluggedItem.objects.acreate(name="first", version=1)
        unique_fields = (
            ["pk"]
            if connection.features.supports_update_conflicts_with_target
            else None
        )
        async with self.assertNumQueriesAsync(1):
            await SluggedItem.objects.abulk_create(
                [SluggedItem(pk=first.pk, name="first", version=2)],
                update_conflicts=True,
                update_fields=["version"],
                unique_fields=unique_fields,
            )
        await first.arefresh_from_db()
        self.assertEqual(first.version, 2)
        self.assertEqual(await SluggedItem.objects.acount(), 1)

    async def test_abulk_create_update_fields_required(self):
        msg = (
            "Fields that will be updated when a row insertion fails on conflicts "
            "must be provided."
        )
        with self.assertRaisesMessage(ValueError, msg):
            await SimpleModel.objects.abulk_create(
                [SimpleModel(field=1)], update_conflicts=True, unique_fields=["pk"]
            )


class AsyncUpdateOrCreateDefaultsTest(TestCase):
    async def test_create_defaults(self):
        author, created = await Author.objects.aupdate_or_create(
            name="Ann", defaults={"name": "Ann B."}, create_defaults={"name": "Ann"}
        )
        self.assertIs(created, True)
        self.assertEqual(author.name, "Ann")
        author, created = await Author.objects.aupdate_or_create(
            name="Ann", defaults={"name": "Ann B."}, create_defaults={"name": "x"}
        )
        self.assertIs(created, False)
        self.assertEqual(author.name, "Ann B.")

    async def test_related_manager(self):
        author = await Author.objects.acreate(name="Ann")
        book, created = await author.books.aupdate_or_create(
            title="Draft", defaults={"pages": 10}, create_defaults={"pages": 1}
        )
        self.assertEqual((created, book.pages, book.author_id), (True, 1, author.pk))
        book, created = await author.books.aupdate_or_create(
            title="Draft", defaults={"pages": 10}, create_defaults={"pages": 1}
        )
        self.assertEqual((created, book.pages), (False, 10))


class AsyncRefreshFromQuerysetTest(AsyncQueryCountMixin, TestCase):
    async def test_from_queryset_filters(self):
        obj = await SimpleModel.objects.acreate(field=1)
        await SimpleModel.objects.filter(pk=obj.pk).aupdate(field=5)
        with self.assertRaises(SimpleModel.DoesNotExist):
            await obj.arefresh_from_db(
                from_queryset=SimpleModel.objects.filter(field=1)
            )
        await obj.arefresh_from_db(from_queryset=SimpleModel.objects.filter(field=5))
        self.assertEqual(obj.field, 5)

    async def test_from_queryset_select_related(self):
        author = await Author.objects.acreate(name="Ann")
        book = await Book.objects.acreate(author=author, title="Draft")
        book = await Book.objects.aget(pk=book.pk)
        async with self.assertNumQueriesAsync(1):
            await book.arefresh_from_db(
                from_queryset=Book.objects.select_related("author")
            )
        # Cached by the refresh: no query, which would fail here anyway.
        self.assertEqual(book.author.name, "Ann")
