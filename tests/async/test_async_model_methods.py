import inspect

from django.db import DatabaseError, IntegrityError
from django.test import SimpleTestCase, TestCase

from .helpers import AsyncQueryCountMixin
from .models import Author, Book, Place, Restaurant, SimpleModel, SluggedItem


class AsyncModelSaveTest(AsyncQueryCountMixin, TestCase):
    async def test_asave_inserts(self):
        obj = SimpleModel(field=4)
        await obj.asave()
        self.assertIsNotNone(obj.pk)
        self.assertIs(obj._state.adding, False)
        self.assertEqual(obj._state.db, "default")
        self.assertEqual((await SimpleModel.objects.aget(pk=obj.pk)).field, 4)

    async def test_asave_updates(self):
        obj = await SimpleModel.objects.acreate(field=1)
        obj.field = 2
        async with self.assertNumQueriesAsync(1):
            await obj.asave(force_update=True)
        self.assertEqual(await SimpleModel.objects.acount(), 1)
        self.assertEqual((await SimpleModel.objects.aget(pk=obj.pk)).field, 2)

    async def test_asave_update_fields(self):
        item = await SluggedItem.objects.acreate(name="First", version=1)
        item.name = "Second"
        item.version = 2
        await item.asave(update_fields=["version"])
        stored = await SluggedItem.objects.aget(pk=item.pk)
        self.assertEqual(stored.version, 2)
        # Fields left out of update_fields keep their stored values.
        self.assertEqual(stored.name, "First")
        self.assertEqual(stored.slug, "first")

    async def test_asave_update_fields_unknown_field(self):
        item = await SluggedItem.objects.acreate(name="First")
        msg = (
            "The following fields do not exist in this model, are m2m fields, "
            "or are non-concrete fields: nonexistent"
        )
        with self.assertRaisesMessage(ValueError, msg):
            await item.asave(update_fields=["nonexistent"])

    async def test_asave_force_insert_existing_row(self):
        obj = await SimpleModel.objects.acreate(field=1)
        duplicate = SimpleModel(pk=obj.pk, field=2)
        # The row exists, so a forced INSERT fails instead of updating it.
        with self.assertRaises(IntegrityError):
            await duplicate.asave(force_insert=True)

    async def test_asave_force_update_missing_row(self):
        obj = SimpleModel(pk=12345, field=1)
        with self.assertRaisesMessage(
            DatabaseError, "Forced update did not affect any rows."
        ):
            await obj.asave(force_update=True)

    async def test_asave_calls_overridden_save(self):
        item = SluggedItem(name="Hello World")
        await item.asave()
        self.assertEqual(item.slug, "hello-world")
        stored = await SluggedItem.objects.aget(pk=item.pk)
        self.assertEqual(stored.slug, "hello-world")

    async def test_asave_using(self):
        obj = SimpleModel(field=7)
        await obj.asave(using="default")
        self.assertEqual(obj._state.db, "default")
        self.assertIs(await SimpleModel.objects.filter(field=7).aexists(), True)


class AsyncModelDeleteTest(TestCase):
    async def test_adelete(self):
        obj = await SimpleModel.objects.acreate(field=1)
        pk = obj.pk
        deleted = await obj.adelete()
        self.assertEqual(deleted, (1, {"async.SimpleModel": 1}))
        self.assertIsNone(obj.pk)
        self.assertIs(await SimpleModel.objects.filter(pk=pk).aexists(), False)

    async def test_adelete_cascades(self):
        author = await Author.objects.acreate(name="Ann")
        await Book.objects.acreate(author=author, title="One")
        await Book.objects.acreate(author=author, title="Two")
        deleted = await author.adelete()
        self.assertEqual(deleted, (3, {"async.Book": 2, "async.Author": 1}))
        self.assertEqual(await Book.objects.acount(), 0)

    async def test_adelete_keep_parents(self):
        restaurant = await Restaurant.objects.acreate(name="Diner", seats=12)
        place_pk = restaurant.place_ptr_id
        await restaurant.adelete(keep_parents=True)
        self.assertIs(await Restaurant.objects.filter(pk=place_pk).aexists(), False)
        self.assertEqual((await Place.objects.aget(pk=place_pk)).name, "Diner")

    async def test_adelete_without_keep_parents(self):
        restaurant = await Restaurant.objects.acreate(name="Diner", seats=12)
        place_pk = restaurant.place_ptr_id
        await restaurant.adelete()
        self.assertIs(await Place.objects.filter(pk=place_pk).aexists(), False)

    async def test_adelete_unsaved(self):
        msg = (
            "SimpleModel object can't be deleted because its id attribute is set "
            "to None."
        )
        with self.assertRaisesMessage(ValueError, msg):
            await SimpleModel(field=1).adelete()

    async def test_adelete_using(self):
        obj = await SimpleModel.objects.acreate(field=1)
        await obj.adelete(using="default")
        self.assertEqual(await SimpleModel.objects.acount(), 0)


class AsyncModelRefreshFromDbTest(AsyncQueryCountMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.author = Author.objects.create(name="Ann")
        cls.book = Book.objects.create(author=cls.author, title="Draft", pages=10)

    async def test_arefresh_from_db(self):
        book = await Book.objects.aget(pk=self.book.pk)
        await Book.objects.filter(pk=book.pk).aupdate(title="Final", pages=20)
        self.assertEqual(book.title, "Draft")
        async with self.assertNumQueriesAsync(1):
            await book.arefresh_from_db()
        self.assertEqual(book.title, "Final")
        self.assertEqual(book.pages, 20)

    async def test_arefresh_from_db_fields(self):
        book = await Book.objects.aget(pk=self.book.pk)
        await Book.objects.filter(pk=book.pk).aupdate(title="Final", pages=20)
        await book.arefresh_from_db(fields=["pages"])
        self.assertEqual(book.pages, 20)
        self.assertEqual(book.title, "Draft")

    async def test_arefresh_from_db_relation_in_fields(self):
        book = await Book.objects.aget(pk=self.book.pk)
        msg = (
            'Found "__" in fields argument. Relations and transforms are not '
            "allowed in fields."
        )
        with self.assertRaisesMessage(ValueError, msg):
            await book.arefresh_from_db(fields=["author__name"])

    async def test_arefresh_from_db_clears_cached_relation(self):
        other = await Author.objects.acreate(name="Ben")
        book = await Book.objects.select_related("author").aget(pk=self.book.pk)
        self.assertEqual(book.author.name, "Ann")
        await Book.objects.filter(pk=book.pk).aupdate(author=other)
        await book.arefresh_from_db()
        self.assertEqual(book.author_id, other.pk)
        # The cached author was dropped rather than left pointing at Ann.
        self.assertIs(Book.author.is_cached(book), False)

    async def test_arefresh_from_db_deferred_fields(self):
        book = await Book.objects.only("title").aget(pk=self.book.pk)
        await Book.objects.filter(pk=book.pk).aupdate(title="Final", pages=20)
        await book.arefresh_from_db()
        self.assertEqual(book.title, "Final")
        # Still deferred: refreshing doesn't load what wasn't loaded.
        self.assertEqual(book.get_deferred_fields(), {"author_id", "pages"})

    async def test_arefresh_from_db_deleted_row(self):
        book = await Book.objects.aget(pk=self.book.pk)
        await Book.objects.filter(pk=book.pk).adelete()
        with self.assertRaises(Book.DoesNotExist):
            await book.arefresh_from_db()

    async def test_arefresh_from_db_using(self):
        book = await Book.objects.aget(pk=self.book.pk)
        await Book.objects.filter(pk=book.pk).aupdate(pages=30)
        await book.arefresh_from_db(using="default")
        self.assertEqual(book.pages, 30)


class AsyncModelMethodAttributesTest(SimpleTestCase):
    def test_alters_data(self):
        for name in ("asave", "adelete"):
            with self.subTest(name=name):
                self.assertIs(getattr(SimpleModel, name).alters_data, True)

    def test_signatures_match_sync_twins(self):
        for name in ("save", "delete", "refresh_from_db"):
            with self.subTest(name=name):
                self.assertEqual(
                    inspect.signature(getattr(SimpleModel, "a" + name)),
                    inspect.signature(getattr(SimpleModel, name)),
                )
