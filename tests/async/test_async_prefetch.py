from django.db.models import Prefetch, aprefetch_related_objects
from django.test import TestCase
from django.utils.deprecation import RemovedInDjango50Warning

from .helpers import AsyncQueryCountMixin
from .models import Article, Author, Book, Tag, Tagging


class PrefetchTestData:
    @classmethod
    def setUpTestData(cls):
        cls.authors = [Author.objects.create(name="Author %d" % i) for i in range(5)]
        for author in cls.authors:
            for title in ("A", "B"):
                Book.objects.create(author=author, title=title)
        cls.tags = [Tag.objects.create(label=label) for label in ("x", "y")]
        cls.article = Article.objects.create(headline="Tagged")
        for tag in cls.tags:
            Tagging.objects.create(article=cls.article, tag=tag)


class AsyncIteratorPrefetchTest(PrefetchTestData, AsyncQueryCountMixin, TestCase):
    async def test_aiterator_prefetch_related(self):
        qs = Author.objects.order_by("pk").prefetch_related("books")
        async with self.assertNumQueriesAsync(2):
            authors = [author async for author in qs.aiterator()]
        self.assertEqual(authors, self.authors)
        async with self.assertNumQueriesAsync(0):
            for author in authors:
                self.assertEqual(
                    sorted(book.title for book in author.books.all()), ["A", "B"]
                )
        # aiterator() still leaves the result cache empty.
        self.assertIsNone(qs._result_cache)

    async def test_aiterator_prefetch_related_per_chunk(self):
        qs = Author.objects.order_by("pk").prefetch_related("books")
        # Chunks of 2, 2 and 1 authors: one query for the authors and one
        # prefetch query for each chunk.
        async with self.assertNumQueriesAsync(4):
            authors = [author async for author in qs.aiterator(chunk_size=2)]
        self.assertEqual(authors, self.authors)
        async with self.assertNumQueriesAsync(0):
            self.assertEqual([len(author.books.all()) for author in authors], [2] * 5)

    async def test_aiterator_prefetch_chunk_done_before_yield(self):
        # Each object is handed out with its relations already loaded.
        qs = Author.objects.order_by("pk").prefetch_related("books")
        async for author in qs.aiterator(chunk_size=3):
            self.assertIn("books", author._prefetched_objects_cache)

    async def test_aiterator_prefetch_object(self):
        qs = Author.objects.order_by("pk").prefetch_related(
            Prefetch("books", Book.objects.filter(title="A"), to_attr="a_books")
        )
        async with self.assertNumQueriesAsync(2):
            authors = [author async for author in qs.aiterator(chunk_size=10)]
        self.assertEqual([len(author.a_books) for author in authors], [1] * 5)

    async def test_aiterator_prefetch_many_to_many(self):
        qs = Article.objects.prefetch_related("tags")
        async with self.assertNumQueriesAsync(2):
            articles = [article async for article in qs.aiterator()]
        self.assertEqual(
            sorted(tag.label for tag in articles[0].tags.all()), ["x", "y"]
        )


class IteratorPrefetchTest(PrefetchTestData, TestCase):
    def test_iterator_prefetch_related_per_chunk(self):
        qs = Author.objects.order_by("pk").prefetch_related("books")
        with self.assertNumQueries(4):
            authors = list(qs.iterator(chunk_size=2))
        self.assertEqual(authors, self.authors)
        with self.assertNumQueries(0):
            self.assertEqual([len(author.books.all()) for author in authors], [2] * 5)

    def test_iterator_prefetch_before_yield(self):
        qs = Author.objects.order_by("pk").prefetch_related("books")
        iterator = qs.iterator(chunk_size=3)
        with self.assertNumQueries(2):
            first = next(iterator)
        with self.assertNumQueries(0):
            self.assertEqual(len(first.books.all()), 2)
            # The rest of the first chunk is already prefetched too.
            next(iterator)
            next(iterator)
        with self.assertNumQueries(1):
            next(iterator)

    def test_iterator_prefetch_related_without_chunk_size(self):
        qs = Author.objects.prefetch_related("books")
        msg = (
            "Using QuerySet.iterator() after prefetch_related() without "
            "specifying chunk_size is deprecated."
        )
        with self.assertWarnsMessage(RemovedInDjango50Warning, msg) as ctx:
            iterator = qs.iterator()
        # The warning points at the caller, not at Django.
        self.assertEqual(ctx.filename, __file__)
        # Without a chunk size, nothing is prefetched.
        with self.assertNumQueries(1):
            authors = list(iterator)
        self.assertEqual(len(authors), 5)
        self.assertNotIn("books", getattr(authors[0], "_prefetched_objects_cache", {}))

    def test_iterator_without_prefetch_no_warning(self):
        with self.assertNumQueries(1):
            self.assertEqual(len(list(Author.objects.iterator())), 5)

    def test_iterator_invalid_chunk_size_with_prefetch(self):
        qs = Author.objects.prefetch_related("books")
        for size in (0, -1):
            with self.subTest(size=size):
                with self.assertRaisesMessage(
                    ValueError, "Chunk size must be strictly positive."
                ):
                    qs.iterator(chunk_size=size)


class AsyncPrefetchRelatedObjectsTest(PrefetchTestData, AsyncQueryCountMixin, TestCase):
    async def test_aprefetch_related_objects(self):
        authors = [author async for author in Author.objects.order_by("pk")]
        async with self.assertNumQueriesAsync(1):
            await aprefetch_related_objects(authors, "books")
        async with self.assertNumQueriesAsync(0):
            self.assertEqual([len(a.books.all()) for a in authors], [2] * 5)

    async def test_aprefetch_related_objects_several_lookups(self):
        books = [book async for book in Book.objects.all()]
        async with self.assertNumQueriesAsync(2):
            await aprefetch_related_objects(
                books, "author", Prefetch("author__books", to_attr="siblings")
            )
        async with self.assertNumQueriesAsync(0):
            self.assertEqual({len(book.author.siblings) for book in books}, {2})

    async def test_aprefetch_related_objects_empty(self):
        async with self.assertNumQueriesAsync(0):
            await aprefetch_related_objects([], "books")

    async def test_aprefetch_related_objects_invalid_lookup(self):
        authors = [author async for author in Author.objects.all()]
        msg = (
            "Cannot find 'nothing' on Author object, 'nothing' is an invalid "
            "parameter to prefetch_related()"
        )
        with self.assertRaisesMessage(AttributeError, msg):
            await aprefetch_related_objects(authors, "nothing")
