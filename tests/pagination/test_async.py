import warnings
from datetime import datetime

from django.core import paginator as paginator_module
from django.core.paginator import (
    AsyncPage,
    AsyncPaginator,
    EmptyPage,
    InvalidPage,
    PageNotAnInteger,
    Paginator,
    UnorderedObjectListWarning,
)
from django.test import SimpleTestCase, TestCase

from .models import Article


class AsyncPaginatorTests(SimpleTestCase):
    """AsyncPaginator and AsyncPage over a list."""

    letters = list("abcdefghijk")  # 11 objects.

    async def test_counts(self):
        tests = [
            # per_page, orphans, allow_empty_first_page, count, num_pages
            (self.letters, 5, 0, True, 11, 3),
            (self.letters, 5, 1, True, 11, 2),
            (self.letters, 11, 0, True, 11, 1),
            ([], 5, 0, True, 0, 1),
            ([], 5, 0, False, 0, 0),
            (["x"], 5, 3, False, 1, 1),
        ]
        for objects, per_page, orphans, allow_empty, count, num_pages in tests:
            with self.subTest(per_page=per_page, orphans=orphans, objects=objects):
                paginator = AsyncPaginator(objects, per_page, orphans, allow_empty)
                self.assertEqual(await paginator.acount(), count)
                self.assertEqual(await paginator.anum_pages(), num_pages)
                self.assertEqual(await paginator.apage_range(), range(1, num_pages + 1))

    async def test_acount_is_cached(self):
        objects = list(range(7))
        paginator = AsyncPaginator(objects, 3)
        self.assertEqual(await paginator.acount(), 7)
        objects.append(7)
        self.assertEqual(await paginator.acount(), 7)

    async def test_per_page_and_orphans_from_strings(self):
        paginator = AsyncPaginator(self.letters, "4", orphans="3")
        self.assertEqual((paginator.per_page, paginator.orphans), (4, 3))
        self.assertEqual(await paginator.anum_pages(), 2)

    async def test_apage(self):
        paginator = AsyncPaginator(self.letters, 5, orphans=1)
        first = await paginator.apage(1)
        self.assertIsInstance(first, AsyncPage)
        self.assertEqual(repr(first), "<Async Page 1>")
        self.assertEqual(await first.aget_object_list(), list("abcde"))
        # The last page takes the orphan.
        last = await paginator.apage("2")
        self.assertEqual(last.number, 2)
        self.assertEqual(await last.aget_object_list(), list("fghijk"))

    async def test_invalid_page_numbers(self):
        paginator = AsyncPaginator(self.letters, 5)
        tests = [
            ("x", PageNotAnInteger, "That page number is not an integer"),
            (None, PageNotAnInteger, "That page number is not an integer"),
            (1.5, PageNotAnInteger, "That page number is not an integer"),
            (0, EmptyPage, "That page number is less than 1"),
            (-1, EmptyPage, "That page number is less than 1"),
            (4, EmptyPage, "That page contains no results"),
        ]
        for number, error, message in tests:
            with self.subTest(number=number):
                with self.assertRaisesMessage(error, message):
                    await paginator.avalidate_number(number)
                with self.assertRaisesMessage(error, message):
                    await paginator.apage(number)
        self.assertTrue(issubclass(PageNotAnInteger, InvalidPage))
        self.assertEqual(await paginator.avalidate_number(3.0), 3)

    async def test_empty_first_page(self):
        self.assertEqual((await AsyncPaginator([], 2).apage(1)).number, 1)
        paginator = AsyncPaginator([], 2, allow_empty_first_page=False)
        with self.assertRaisesMessage(EmptyPage, "That page contains no results"):
            await paginator.apage(1)

    async def test_error_messages(self):
        paginator = AsyncPaginator(
            self.letters,
            5,
            error_messages={"invalid_page": "Not a page", "no_results": "Too far"},
        )
        with self.assertRaisesMessage(PageNotAnInteger, "Not a page"):
            await paginator.apage("first")
        with self.assertRaisesMessage(EmptyPage, "Too far"):
            await paginator.apage(10)
        # Messages not given keep their default.
        with self.assertRaisesMessage(EmptyPage, "That page number is less than 1"):
            await paginator.apage(0)

    async def test_aget_page(self):
        paginator = AsyncPaginator(self.letters, 5)
        tests = [(2, 2), ("x", 1), (None, 1), (10, 3), (0, 3), (-4, 3)]
        for number, expected in tests:
            with self.subTest(number=number):
                self.assertEqual((await paginator.aget_page(number)).number, expected)
        # An empty paginator has a first page unless allow_empty_first_page is
        # False.
        page = await AsyncPaginator([], 5).aget_page(3)
        self.assertEqual(await page.aget_object_list(), [])
        with self.assertRaises(EmptyPage):
            await AsyncPaginator([], 5, allow_empty_first_page=False).aget_page(1)

    async def test_async_iteration(self):
        paginator = AsyncPaginator(self.letters, 4)
        pages = [page async for page in paginator]
        self.assertEqual([page.number for page in pages], [1, 2, 3])
        self.assertEqual([obj async for obj in pages[2]], list("ijk"))

    async def test_page_navigation(self):
        paginator = AsyncPaginator(self.letters, 5)
        first, middle, last = [await paginator.apage(n) for n in (1, 2, 3)]
        self.assertIs(await first.ahas_next(), True)
        self.assertIs(await first.ahas_previous(), False)
        self.assertIs(await first.ahas_other_pages(), True)
        self.assertEqual(await first.anext_page_number(), 2)
        with self.assertRaisesMessage(EmptyPage, "That page number is less than 1"):
            await first.aprevious_page_number()
        self.assertEqual(await middle.aprevious_page_number(), 1)
        self.assertEqual(await middle.anext_page_number(), 3)
        self.assertIs(await last.ahas_next(), False)
        with self.assertRaisesMessage(EmptyPage, "That page contains no results"):
            await last.anext_page_number()
        only = await AsyncPaginator(["a"], 5).apage(1)
        self.assertIs(await only.ahas_other_pages(), False)

    async def test_start_and_end_index(self):
        tests = [
            # objects, per_page, orphans, number, start, end
            (self.letters, 5, 0, 1, 1, 5),
            (self.letters, 5, 0, 3, 11, 11),
            (self.letters, 5, 1, 2, 6, 11),
            (self.letters, 3, 0, 2, 4, 6),
            ([], 5, 0, 1, 0, 0),
        ]
        for objects, per_page, orphans, number, start, end in tests:
            with self.subTest(per_page=per_page, orphans=orphans, number=number):
                paginator = AsyncPaginator(objects, per_page, orphans)
                page = await paginator.apage(number)
                self.assertEqual(await page.astart_index(), start)
                self.assertEqual(await page.aend_index(), end)
                # The same as Paginator's pages.
                sync_page = Paginator(objects, per_page, orphans).page(number)
                self.assertEqual(
                    (sync_page.start_index(), sync_page.end_index()), (start, end)
                )

    async def test_page_sequence_needs_object_list(self):
        page = await AsyncPaginator(iter_letters(), 5).apage(1)
        messages = [
            (len, "calling len()"),
            (reversed, "calling reversed()"),
            (lambda page: page[0], "using indexing"),
        ]
        for operation, text in messages:
            with self.subTest(text=text):
                msg = "AsyncPage.aget_object_list() must be awaited before %s." % text
                with self.assertRaisesMessage(TypeError, msg):
                    operation(page)
        self.assertEqual(await page.aget_object_list(), list("abcde"))
        self.assertEqual(len(page), 5)
        self.assertEqual(list(reversed(page)), list("edcba"))
        self.assertEqual((page[0], page[-1], page[1:3]), ("a", "e", ["b", "c"]))

    async def test_page_index_type(self):
        page = await AsyncPaginator(self.letters, 5).apage(1)
        await page.aget_object_list()
        msg = "AsyncPage indices must be integers or slices, not str."
        with self.assertRaisesMessage(TypeError, msg):
            page["1"]

    async def test_aget_elided_page_range(self):
        # The same numbers and ellipses as Paginator.get_elided_page_range().
        for num_pages in (1, 9, 10, 11, 12, 30):
            objects = list(range(num_pages * 2))
            for number in range(1, num_pages + 1):
                for on_each_side, on_ends in ((3, 2), (0, 0), (1, 1), (2, 0), (0, 3)):
                    with self.subTest(
                        num_pages=num_pages,
                        number=number,
                        on_each_side=on_each_side,
                        on_ends=on_ends,
                    ):
                        expected = Paginator(objects, 2).get_elided_page_range(
                            number, on_each_side=on_each_side, on_ends=on_ends
                        )
                        elided = AsyncPaginator(objects, 2).aget_elided_page_range(
                            number, on_each_side=on_each_side, on_ends=on_ends
                        )
                        self.assertEqual(
                            [item async for item in elided], list(expected)
                        )
        paginator = AsyncPaginator(list(range(100)), 2)
        self.assertEqual(
            [item async for item in paginator.aget_elided_page_range(25)],
            [1, 2, "…", 22, 23, 24, 25, 26, 27, 28, "…", 49, 50],
        )
        with self.assertRaises(EmptyPage):
            [item async for item in paginator.aget_elided_page_range(51)]
        with self.assertRaises(PageNotAnInteger):
            [item async for item in paginator.aget_elided_page_range("x")]

    async def test_get_page_hook(self):
        class CustomPage(AsyncPage):
            pass

        class CustomPaginator(AsyncPaginator):
            def _get_page(self, *args, **kwargs):
                return CustomPage(*args, **kwargs)

        page = await CustomPaginator(self.letters, 5).aget_page(2)
        self.assertIsInstance(page, CustomPage)
        self.assertIsInstance(page.paginator, CustomPaginator)


def iter_letters():
    """A sliceable object list whose pages aren't lists."""
    return SliceableTuple("abcdefghijk")


class SliceableTuple(tuple):
    def __getitem__(self, index):
        item = super().__getitem__(index)
        return SliceableTuple(item) if isinstance(index, slice) else item


class AsyncPaginatorQuerySetTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.articles = [
            Article.objects.create(
                headline="Article %s" % n, pub_date=datetime(2005, 7, 29)
            )
            for n in range(1, 10)
        ]

    async def test_queryset(self):
        # Counting or fetching with the sync ORM from here would raise
        # SynchronousOnlyOperation: the paginator awaits acount() and async
        # iteration.
        paginator = AsyncPaginator(Article.objects.order_by("pk"), 4)
        self.assertEqual(await paginator.acount(), 9)
        self.assertEqual(await paginator.anum_pages(), 3)
        page = await paginator.apage(2)
        self.assertEqual(
            [article.headline for article in await page.aget_object_list()],
            ["Article 5", "Article 6", "Article 7", "Article 8"],
        )
        self.assertEqual(await page.aend_index(), 8)
        last = await paginator.aget_page(10)
        self.assertEqual([a.headline async for a in last], ["Article 9"])

    async def test_empty_queryset(self):
        paginator = AsyncPaginator(Article.objects.none(), 4)
        self.assertEqual(await paginator.acount(), 0)
        page = await paginator.apage(1)
        self.assertEqual(await page.aget_object_list(), [])
        self.assertEqual(await page.astart_index(), 0)

    def test_unordered_queryset_warns(self):
        msg = (
            "Pagination may yield inconsistent results with an unordered "
            "object_list: <class 'pagination.models.Article'> QuerySet."
        )
        with self.assertWarnsMessage(UnorderedObjectListWarning, msg) as cm:
            AsyncPaginator(Article.objects.all(), 5)
        # As upstream's, the warning names django/core/paginator.py, where
        # the paginator is built, not this file.
        self.assertEqual(cm.filename, paginator_module.__file__)

    def test_ordered_queryset_doesnt_warn(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error", UnorderedObjectListWarning)
            AsyncPaginator(Article.objects.order_by("headline"), 5)
            AsyncPaginator(Article.objects.none(), 5)
