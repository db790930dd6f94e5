import datetime
import threading
from unittest import mock

from django.conf import settings
from django.core.exceptions import SynchronousOnlyOperation
from django.db import DEFAULT_DB_ALIAS, async_bridge, connections
from django.db.models import Max, Q, Sum
from django.db.models.query import ModelIterable, QuerySet
from django.test import TestCase, skipUnlessDBFeature
from django.utils import timezone

from .helpers import AsyncQueryCountMixin
from .models import Author, Book, SimpleModel


def moment(*args):
    """A datetime of the kind the test settings expect (naive unless USE_TZ)."""
    value = datetime.datetime(*args)
    return timezone.make_aware(value) if settings.USE_TZ else value


class FlagRecordingIterable(ModelIterable):
    """Remembers how aiterator() asked for the rows to be fetched."""

    calls = []

    def __init__(self, queryset, chunked_fetch=False, chunk_size=100):
        super().__init__(queryset, chunked_fetch=chunked_fetch, chunk_size=chunk_size)
        self.calls.append((chunked_fetch, chunk_size))


class CloseRecordingIterable(ModelIterable):
    """Notes the threads in which rows are fetched and the generator closed."""

    fetched_in = set()
    closed_in = []

    def __iter__(self):
        try:
            for row in super().__iter__():
                self.fetched_in.add(threading.get_ident())
                yield row
        finally:
            self.closed_in.append(threading.get_ident())


class AsyncQuerySetTest(AsyncQueryCountMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.s1 = SimpleModel.objects.create(field=1, created=moment(2022, 1, 5, 12))
        cls.s2 = SimpleModel.objects.create(field=2, created=moment(2022, 6, 9, 12))
        cls.s3 = SimpleModel.objects.create(field=3, created=moment(2023, 3, 1, 12))

    async def test_async_for(self):
        async with self.assertNumQueriesAsync(1):
            objs = [obj async for obj in SimpleModel.objects.order_by("pk")]
        self.assertEqual(objs, [self.s1, self.s2, self.s3])

    async def test_async_for_fills_result_cache(self):
        qs = SimpleModel.objects.order_by("-field")
        async for _ in qs:
            pass
        self.assertIsNotNone(qs._result_cache)
        async with self.assertNumQueriesAsync(0):
            self.assertEqual(len(qs), 3)
            self.assertEqual(qs[0], self.s3)

    async def test_async_for_reuses_result_cache(self):
        qs = SimpleModel.objects.order_by("pk")
        async for _ in qs:
            pass
        async with self.assertNumQueriesAsync(0):
            self.assertEqual([obj.field async for obj in qs], [1, 2, 3])

    async def test_async_for_prefetch_related(self):
        author = await Author.objects.acreate(name="Ann")
        await Book.objects.acreate(author=author, title="First")
        await Book.objects.acreate(author=author, title="Second")
        async with self.assertNumQueriesAsync(2):
            authors = [a async for a in Author.objects.prefetch_related("books")]
        async with self.assertNumQueriesAsync(0):
            titles = sorted(book.title for book in authors[0].books.all())
        self.assertEqual(titles, ["First", "Second"])

    async def test_async_for_values(self):
        rows = [row async for row in SimpleModel.objects.order_by("pk").values("field")]
        self.assertEqual(rows, [{"field": 1}, {"field": 2}, {"field": 3}])

    async def test_async_for_values_list(self):
        qs = SimpleModel.objects.order_by("pk").values_list("pk", "field")
        rows = [row async for row in qs]
        self.assertEqual(rows, [(self.s1.pk, 1), (self.s2.pk, 2), (self.s3.pk, 3)])

    async def test_async_for_values_list_flat(self):
        qs = SimpleModel.objects.order_by("-pk").values_list("field", flat=True)
        self.assertEqual([value async for value in qs], [3, 2, 1])

    async def test_async_for_values_list_named(self):
        qs = SimpleModel.objects.order_by("pk").values_list("field", named=True)
        rows = [row async for row in qs]
        self.assertEqual([row.field for row in rows], [1, 2, 3])
        self.assertEqual(rows[0]._fields, ("field",))

    async def test_async_for_dates(self):
        qs = SimpleModel.objects.dates("created", "year")
        self.assertEqual(
            [value async for value in qs],
            [datetime.date(2022, 1, 1), datetime.date(2023, 1, 1)],
        )

    async def test_async_for_datetimes(self):
        qs = SimpleModel.objects.datetimes("created", "month", order="DESC")
        self.assertEqual(
            [value async for value in qs],
            [moment(2023, 3, 1), moment(2022, 6, 1), moment(2022, 1, 1)],
        )

    async def test_async_for_raw(self):
        table = SimpleModel._meta.db_table
        raw = SimpleModel.objects.raw(
            "SELECT id, field, created FROM %s ORDER BY field DESC" % table
        )
        async with self.assertNumQueriesAsync(1):
            objs = [obj async for obj in raw]
        self.assertEqual(objs, [self.s3, self.s2, self.s1])
        self.assertEqual(objs[0].field, 3)
        async with self.assertNumQueriesAsync(0):
            self.assertEqual(len(raw), 3)

    async def test_aiterator(self):
        qs = SimpleModel.objects.order_by("pk")
        async with self.assertNumQueriesAsync(1):
            objs = [obj async for obj in qs.aiterator()]
        self.assertEqual(objs, [self.s1, self.s2, self.s3])
        self.assertIsNone(qs._result_cache)

    async def test_aiterator_chunks(self):
        await SimpleModel.objects.acreate(field=4)
        await SimpleModel.objects.acreate(field=5)
        qs = SimpleModel.objects.order_by("field")
        chunk_lengths = []
        real_next_chunk = async_bridge._next_chunk

        def recording_next_chunk(iterator, size):
            chunk = real_next_chunk(iterator, size)
            chunk_lengths.append(len(chunk))
            return chunk

        with mock.patch.object(async_bridge, "_next_chunk", recording_next_chunk):
            async with self.assertNumQueriesAsync(1):
                fields = [obj.field async for obj in qs.aiterator(chunk_size=2)]
        self.assertEqual(fields, [1, 2, 3, 4, 5])
        self.assertEqual(chunk_lengths, [2, 2, 1])
        self.assertIsNone(qs._result_cache)

    async def test_aiterator_values_list_flat(self):
        qs = SimpleModel.objects.order_by("-field").values_list("field", flat=True)
        self.assertEqual([v async for v in qs.aiterator(chunk_size=1)], [3, 2, 1])

    async def test_aiterator_chunked_fetch(self):
        qs = SimpleModel.objects.all()
        qs._iterable_class = FlagRecordingIterable
        FlagRecordingIterable.calls = []
        # Both values set here, whatever the settings say (the PgBouncer run
        # turns server-side cursors off).
        settings_dict = connections[DEFAULT_DB_ALIAS].settings_dict
        with mock.patch.dict(settings_dict, {"DISABLE_SERVER_SIDE_CURSORS": False}):
            self.assertEqual(len([obj async for obj in qs.aiterator(chunk_size=7)]), 3)
        with mock.patch.dict(settings_dict, {"DISABLE_SERVER_SIDE_CURSORS": True}):
            self.assertEqual(len([obj async for obj in qs.aiterator()]), 3)
        self.assertEqual(FlagRecordingIterable.calls, [(True, 7), (False, 2000)])

    async def test_aiterator_stopped_early(self):
        qs = SimpleModel.objects.order_by("field")
        qs._iterable_class = CloseRecordingIterable
        CloseRecordingIterable.fetched_in = set()
        CloseRecordingIterable.closed_in = []
        iterator = qs.aiterator(chunk_size=1)
        async for obj in iterator:
            break
        self.assertEqual(obj, self.s1)
        self.assertEqual(CloseRecordingIterable.closed_in, [])
        await iterator.aclose()
        # By the time aclose() returns, the rows' generator (and so its
        # cursor) was closed, where the ORM's sync code ran the query.
        self.assertEqual(len(CloseRecordingIterable.fetched_in), 1)
        self.assertEqual(
            CloseRecordingIterable.closed_in, list(CloseRecordingIterable.fetched_in)
        )
        self.assertEqual(await SimpleModel.objects.acount(), 3)

    async def test_aiterator_chunk_size_zero(self):
        msg = "Chunk size must be strictly positive."
        with self.assertRaisesMessage(ValueError, msg):
            async for _ in SimpleModel.objects.aiterator(chunk_size=0):
                pass

    async def test_aiterator_chunk_size_negative(self):
        msg = "Chunk size must be strictly positive."
        with self.assertRaisesMessage(ValueError, msg):
            async for _ in SimpleModel.objects.aiterator(chunk_size=-5):
                pass

    async def test_acount(self):
        self.assertEqual(await SimpleModel.objects.acount(), 3)
        self.assertEqual(await SimpleModel.objects.filter(field__gt=1).acount(), 2)

    async def test_acount_uses_result_cache(self):
        qs = SimpleModel.objects.filter(field__lt=3)
        async for _ in qs:
            pass
        async with self.assertNumQueriesAsync(0):
            self.assertEqual(await qs.acount(), 2)

    async def test_aexists(self):
        self.assertIs(await SimpleModel.objects.filter(field=2).aexists(), True)
        self.assertIs(await SimpleModel.objects.filter(field=9).aexists(), False)

    async def test_aexists_uses_result_cache(self):
        qs = SimpleModel.objects.filter(field=9)
        async for _ in qs:
            pass
        async with self.assertNumQueriesAsync(0):
            self.assertIs(await qs.aexists(), False)

    async def test_aget(self):
        async with self.assertNumQueriesAsync(1):
            obj = await SimpleModel.objects.aget(field=2)
        self.assertEqual(obj, self.s2)

    async def test_aget_positional_q(self):
        obj = await SimpleModel.objects.aget(Q(field=1) | Q(field=9))
        self.assertEqual(obj, self.s1)

    async def test_aget_does_not_exist(self):
        msg = "SimpleModel matching query does not exist."
        with self.assertRaisesMessage(SimpleModel.DoesNotExist, msg):
            await SimpleModel.objects.aget(field=9)

    async def test_aget_multiple_objects_returned(self):
        msg = "get() returned more than one SimpleModel -- it returned 2!"
        with self.assertRaisesMessage(SimpleModel.MultipleObjectsReturned, msg):
            await SimpleModel.objects.aget(field__gt=1)

    async def test_acreate(self):
        obj = await SimpleModel.objects.acreate(field=7)
        self.assertIsNotNone(obj.pk)
        self.assertEqual((await SimpleModel.objects.aget(pk=obj.pk)).field, 7)

    async def test_aget_or_create_existing(self):
        obj, created = await SimpleModel.objects.aget_or_create(
            field=1, defaults={"field": 10}
        )
        self.assertIs(created, False)
        self.assertEqual(obj, self.s1)
        self.assertEqual(await SimpleModel.objects.acount(), 3)

    async def test_aget_or_create_new(self):
        when = moment(2020, 2, 2, 2)
        obj, created = await SimpleModel.objects.aget_or_create(
            {"created": when}, field=8
        )
        self.assertIs(created, True)
        obj = await SimpleModel.objects.aget(pk=obj.pk)
        self.assertEqual((obj.field, obj.created), (8, when))

    async def test_aupdate_or_create_existing(self):
        obj, created = await SimpleModel.objects.aupdate_or_create(
            pk=self.s2.pk, defaults={"field": 20}
        )
        self.assertIs(created, False)
        self.assertEqual(obj.pk, self.s2.pk)
        self.assertEqual((await SimpleModel.objects.aget(pk=self.s2.pk)).field, 20)

    async def test_aupdate_or_create_new(self):
        obj, created = await SimpleModel.objects.aupdate_or_create(
            {"field": 30}, field=9
        )
        self.assertIs(created, True)
        self.assertEqual((await SimpleModel.objects.aget(pk=obj.pk)).field, 30)

    async def test_abulk_create(self):
        objs = [SimpleModel(field=10), SimpleModel(field=11)]
        async with self.assertNumQueriesAsync(2):
            created = await SimpleModel.objects.abulk_create(objs, batch_size=1)
        self.assertEqual([obj.field for obj in created], [10, 11])
        self.assertEqual(
            await SimpleModel.objects.filter(field__gte=10).acount(), len(objs)
        )

    async def test_abulk_update(self):
        self.s1.field = 100
        self.s2.field = 200
        rows = await SimpleModel.objects.abulk_update([self.s1, self.s2], ["field"])
        self.assertEqual(rows, 2)
        values = SimpleModel.objects.order_by("pk").values_list("field", flat=True)
        self.assertEqual([value async for value in values], [100, 200, 3])

    async def test_ain_bulk(self):
        found = await SimpleModel.objects.ain_bulk([self.s1.pk, self.s3.pk])
        self.assertEqual(found, {self.s1.pk: self.s1, self.s3.pk: self.s3})

    async def test_ain_bulk_all(self):
        found = await SimpleModel.objects.filter(field__gt=1).ain_bulk()
        self.assertEqual(found, {self.s2.pk: self.s2, self.s3.pk: self.s3})

    async def test_ain_bulk_field_name(self):
        msg = "in_bulk()'s field_name must be a unique field but 'field' isn't."
        with self.assertRaisesMessage(ValueError, msg):
            await SimpleModel.objects.ain_bulk([1], field_name="field")

    async def test_alatest(self):
        self.assertEqual(await SimpleModel.objects.alatest("created"), self.s3)
        self.assertEqual(await SimpleModel.objects.alatest("-field"), self.s1)

    async def test_aearliest(self):
        self.assertEqual(await SimpleModel.objects.aearliest("created"), self.s1)
        self.assertEqual(await SimpleModel.objects.aearliest("-field"), self.s3)

    async def test_aearliest_without_fields(self):
        msg = (
            "earliest() and latest() require either fields as positional "
            "arguments or 'get_latest_by' in the model's Meta."
        )
        with self.assertRaisesMessage(ValueError, msg):
            await SimpleModel.objects.aearliest()

    async def test_afirst(self):
        self.assertEqual(await SimpleModel.objects.afirst(), self.s1)
        self.assertEqual(await SimpleModel.objects.order_by("-field").afirst(), self.s3)
        self.assertIsNone(await SimpleModel.objects.filter(field=9).afirst())

    async def test_alast(self):
        self.assertEqual(await SimpleModel.objects.alast(), self.s3)
        self.assertEqual(await SimpleModel.objects.order_by("-field").alast(), self.s1)
        self.assertIsNone(await SimpleModel.objects.filter(field=9).alast())

    async def test_aaggregate(self):
        result = await SimpleModel.objects.aaggregate(Max("field"), total=Sum("field"))
        self.assertEqual(result, {"field__max": 3, "total": 6})

    async def test_acontains(self):
        self.assertIs(await SimpleModel.objects.acontains(self.s2), True)
        qs = SimpleModel.objects.filter(field=1)
        self.assertIs(await qs.acontains(self.s2), False)

    async def test_acontains_uses_result_cache(self):
        qs = SimpleModel.objects.filter(field=1)
        async for _ in qs:
            pass
        async with self.assertNumQueriesAsync(0):
            self.assertIs(await qs.acontains(self.s1), True)

    async def test_acontains_unsaved_object(self):
        msg = "QuerySet.contains() cannot be used on unsaved objects."
        with self.assertRaisesMessage(ValueError, msg):
            await SimpleModel.objects.acontains(SimpleModel(field=1))

    async def test_acontains_other_model(self):
        author = await Author.objects.acreate(name="Bob")
        async with self.assertNumQueriesAsync(0):
            self.assertIs(await SimpleModel.objects.acontains(author), False)

    async def test_acontains_not_a_model_instance(self):
        with self.assertRaisesMessage(TypeError, "'obj' must be a model instance."):
            await SimpleModel.objects.acontains(object())

    async def test_aupdate(self):
        rows = await SimpleModel.objects.filter(field__gte=2).aupdate(field=50)
        self.assertEqual(rows, 2)
        qs = SimpleModel.objects.order_by("pk").values_list("field", flat=True)
        self.assertEqual([value async for value in qs], [1, 50, 50])

    async def test_adelete(self):
        result = await SimpleModel.objects.filter(field__lte=2).adelete()
        self.assertEqual(result, (2, {"async.SimpleModel": 2}))
        self.assertEqual(await SimpleModel.objects.acount(), 1)

    async def test_adelete_clears_result_cache(self):
        qs = SimpleModel.objects.all()
        async for _ in qs:
            pass
        await qs.adelete()
        self.assertIsNone(qs._result_cache)

    def test_async_twins_mirror_attributes(self):
        twins = (
            "aggregate bulk_create bulk_update contains count create delete "
            "earliest exists explain first get get_or_create in_bulk iterator "
            "last latest update update_or_create"
        ).split()
        for name in twins:
            sync_method = getattr(QuerySet, name)
            async_method = getattr(QuerySet, "a" + name)
            for attr in ("alters_data", "queryset_only"):
                with self.subTest(method=name, attr=attr):
                    self.assertEqual(
                        getattr(async_method, attr, None),
                        getattr(sync_method, attr, None),
                    )
        self.assertIs(QuerySet.adelete.alters_data, True)
        self.assertIs(QuerySet.adelete.queryset_only, True)


# skipUnlessDBFeature() can't wrap an async test method on Django 4.0 (the
# coroutine would never be awaited), so backend-dependent tests get classes.
@skipUnlessDBFeature("supports_ignore_conflicts")
class AsyncBulkCreateIgnoreConflictsTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.s1 = SimpleModel.objects.create(field=1)

    async def test_abulk_create_ignore_conflicts(self):
        clash = SimpleModel(pk=self.s1.pk, field=99)
        await SimpleModel.objects.abulk_create(
            [clash, SimpleModel(field=12)], ignore_conflicts=True
        )
        self.assertEqual(await SimpleModel.objects.acount(), 2)
        self.assertEqual((await SimpleModel.objects.aget(pk=self.s1.pk)).field, 1)


@skipUnlessDBFeature("supports_explaining_query_execution")
class AsyncExplainTest(TestCase):
    async def test_aexplain(self):
        plan = await SimpleModel.objects.filter(field=1).aexplain()
        self.assertIsInstance(plan, str)
        self.assertTrue(plan)

    async def test_aexplain_format(self):
        msg = "NONEXISTENT is not a recognized format."
        with self.assertRaisesMessage(ValueError, msg):
            await SimpleModel.objects.aexplain(format="nonexistent")


class SyncMethodsInAsyncContextTest(TestCase):
    """The synchronous ORM still refuses to run on the event loop."""

    @classmethod
    def setUpTestData(cls):
        cls.obj = SimpleModel.objects.create(field=1)

    async def test_count(self):
        with self.assertRaises(SynchronousOnlyOperation):
            SimpleModel.objects.count()

    async def test_get(self):
        with self.assertRaises(SynchronousOnlyOperation):
            SimpleModel.objects.get(pk=self.obj.pk)

    async def test_create(self):
        with self.assertRaises(SynchronousOnlyOperation):
            SimpleModel.objects.create(field=2)

    async def test_iteration(self):
        with self.assertRaises(SynchronousOnlyOperation):
            list(SimpleModel.objects.all())

    async def test_iterator(self):
        with self.assertRaises(SynchronousOnlyOperation):
            next(SimpleModel.objects.iterator())

    async def test_update(self):
        with self.assertRaises(SynchronousOnlyOperation):
            SimpleModel.objects.update(field=3)
