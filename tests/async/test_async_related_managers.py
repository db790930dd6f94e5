from django.test import SimpleTestCase, TestCase

from .models import Article, Author, Book, Tag, Tagging


class AsyncReverseForeignKeyManagerTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.author = Author.objects.create(name="Ann")
        cls.other = Author.objects.create(name="Ben")
        cls.others_book = Book.objects.create(author=cls.other, title="Shared")

    async def test_acreate(self):
        book = await self.author.books.acreate(title="New")
        self.assertEqual(book.author_id, self.author.pk)
        self.assertEqual(await self.author.books.acount(), 1)
        self.assertEqual(
            (await Book.objects.aget(pk=book.pk)).author_id, self.author.pk
        )

    async def test_aget_or_create(self):
        # The other author's book with the same title is out of the relation.
        book, created = await self.author.books.aget_or_create(title="Shared")
        self.assertIs(created, True)
        self.assertNotEqual(book.pk, self.others_book.pk)
        self.assertEqual(book.author_id, self.author.pk)
        again, created = await self.author.books.aget_or_create(title="Shared")
        self.assertIs(created, False)
        self.assertEqual(again, book)
        self.assertEqual(await Book.objects.acount(), 2)

    async def test_aget_or_create_defaults(self):
        book, created = await self.author.books.aget_or_create(
            title="Long", defaults={"pages": 900}
        )
        self.assertIs(created, True)
        self.assertEqual((await self.author.books.aget(pk=book.pk)).pages, 900)

    async def test_aupdate_or_create(self):
        book, created = await self.author.books.aupdate_or_create(
            title="Draft", defaults={"pages": 10}
        )
        self.assertIs(created, True)
        self.assertEqual(book.author_id, self.author.pk)
        book, created = await self.author.books.aupdate_or_create(
            title="Draft", defaults={"pages": 20}
        )
        self.assertIs(created, False)
        self.assertEqual((await Book.objects.aget(pk=book.pk)).pages, 20)
        self.assertEqual(await self.author.books.acount(), 1)


class AsyncManyToManyManagerTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.article = Article.objects.create(headline="Async ORM")
        cls.tag = Tag.objects.create(label="python")

    async def test_forward_acreate(self):
        tag = await self.article.tags.acreate(label="django")
        self.assertEqual(await self.article.tags.aget(), tag)
        link = await Tagging.objects.aget(article=self.article, tag=tag)
        self.assertEqual(link.weight, 1)

    async def test_forward_acreate_through_defaults(self):
        tag = await self.article.tags.acreate(
            label="django", through_defaults={"weight": 5}
        )
        link = await Tagging.objects.aget(article=self.article, tag=tag)
        self.assertEqual(link.weight, 5)

    async def test_reverse_acreate_through_defaults(self):
        article = await self.tag.articles.acreate(
            headline="Second", through_defaults={"weight": 3}
        )
        self.assertEqual(await self.tag.articles.aget(), article)
        link = await Tagging.objects.aget(article=article, tag=self.tag)
        self.assertEqual(link.weight, 3)

    async def test_forward_aget_or_create(self):
        tag, created = await self.article.tags.aget_or_create(
            label="orm", through_defaults={"weight": 7}
        )
        self.assertIs(created, True)
        link = await Tagging.objects.aget(article=self.article, tag=tag)
        self.assertEqual(link.weight, 7)
        again, created = await self.article.tags.aget_or_create(
            label="orm", through_defaults={"weight": 8}
        )
        self.assertIs(created, False)
        self.assertEqual(again, tag)
        self.assertEqual(await Tagging.objects.acount(), 1)

    async def test_reverse_aget_or_create(self):
        article, created = await self.tag.articles.aget_or_create(
            headline="Typing", through_defaults={"weight": 2}
        )
        self.assertIs(created, True)
        link = await Tagging.objects.aget(article=article, tag=self.tag)
        self.assertEqual(link.weight, 2)
        again, created = await self.tag.articles.aget_or_create(headline="Typing")
        self.assertIs(created, False)
        self.assertEqual(again, article)

    async def test_forward_aupdate_or_create(self):
        tag, created = await self.article.tags.aupdate_or_create(
            label="old", defaults={"label": "new"}, through_defaults={"weight": 4}
        )
        self.assertIs(created, True)
        self.assertEqual(tag.label, "new")
        link = await Tagging.objects.aget(article=self.article, tag=tag)
        self.assertEqual(link.weight, 4)
        same, created = await self.article.tags.aupdate_or_create(
            label="new", defaults={"label": "newer"}
        )
        self.assertIs(created, False)
        self.assertEqual(same.pk, tag.pk)
        self.assertEqual((await Tag.objects.aget(pk=tag.pk)).label, "newer")

    async def test_reverse_aupdate_or_create(self):
        article, created = await self.tag.articles.aupdate_or_create(
            headline="Draft", through_defaults={"weight": 6}
        )
        self.assertIs(created, True)
        link = await Tagging.objects.aget(article=article, tag=self.tag)
        self.assertEqual(link.weight, 6)
        same, created = await self.tag.articles.aupdate_or_create(
            headline="Draft", defaults={"headline": "Final"}
        )
        self.assertIs(created, False)
        self.assertEqual(same.pk, article.pk)
        self.assertEqual((await Article.objects.aget(pk=article.pk)).headline, "Final")
        self.assertEqual(await self.tag.articles.acount(), 1)

    async def test_aget_or_create_ignores_unrelated_rows(self):
        # A tag that exists but isn't linked to the article is not "got".
        tag, created = await self.article.tags.aget_or_create(label="python")
        self.assertIs(created, True)
        self.assertNotEqual(tag.pk, self.tag.pk)


class AsyncRelatedManagerAttributesTest(SimpleTestCase):
    def test_alters_data(self):
        managers = {
            "reverse foreign key": type(Author().books),
            "forward many-to-many": type(Article(pk=1).tags),
            "reverse many-to-many": type(Tag(pk=1).articles),
        }
        for kind, manager_class in managers.items():
            for name in ("acreate", "aget_or_create", "aupdate_or_create"):
                with self.subTest(kind=kind, name=name):
                    method = getattr(manager_class, name)
                    self.assertIs(method.alters_data, True)
