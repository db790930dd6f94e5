from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save
from django.test import SimpleTestCase, TestCase

from .helpers import AsyncQueryCountMixin
from .models import Article, Author, Book, Comment, Note, Poll, Tag, Tagging


class AsyncReverseForeignKeyChangesTest(AsyncQueryCountMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ann = Author.objects.create(name="Ann")
        cls.ben = Author.objects.create(name="Ben")
        cls.book = Book.objects.create(author=cls.ben, title="Moved")
        cls.note1 = Note.objects.create(author=cls.ann, text="one")
        cls.note2 = Note.objects.create(author=cls.ann, text="two")
        cls.loose = Note.objects.create(text="loose")

    async def test_aadd(self):
        async with self.assertNumQueriesAsync(1):
            await self.ann.books.aadd(self.book)
        self.assertEqual(self.book.author_id, self.ann.pk)
        self.assertEqual(
            (await Book.objects.aget(pk=self.book.pk)).author_id, self.ann.pk
        )

    async def test_aadd_bulk_false(self):
        # bulk=False saves each object, so an unsaved one can be added.
        book = Book(author=self.ben, title="Fresh")
        await self.ann.books.aadd(book, bulk=False)
        self.assertIsNotNone(book.pk)
        self.assertEqual(
            [b.title async for b in self.ann.books.order_by("title")], ["Fresh"]
        )

    async def test_aadd_unsaved_object_bulk(self):
        book = Book(author=self.ben, title="Fresh")
        msg = "instance isn't saved. Use bulk=False or save the object first."
        with self.assertRaisesMessage(ValueError, msg):
            await self.ann.books.aadd(book)
        self.assertEqual(await Book.objects.acount(), 1)

    async def test_aadd_wrong_model(self):
        with self.assertRaisesMessage(TypeError, "'Book' instance expected, got"):
            await self.ann.books.aadd(self.note1)

    async def test_aremove(self):
        await self.ann.notes.aremove(self.note1)
        self.assertIsNone((await Note.objects.aget(pk=self.note1.pk)).author_id)
        self.assertEqual([n async for n in self.ann.notes.all()], [self.note2])

    async def test_aremove_bulk_false(self):
        # The note is fetched, then saved on its own.
        async with self.assertNumQueriesAsync(2):
            await self.ann.notes.aremove(self.note1, bulk=False)
        self.assertIsNone((await Note.objects.aget(pk=self.note1.pk)).author_id)

    async def test_aremove_unrelated_object(self):
        msg = "%r is not related to %r." % (self.loose, self.ann)
        with self.assertRaisesMessage(Author.DoesNotExist, msg):
            await self.ann.notes.aremove(self.loose)

    async def test_aremove_wrong_model(self):
        with self.assertRaisesMessage(TypeError, "'Note' instance expected, got"):
            await self.ann.notes.aremove(self.book)

    async def test_aclear(self):
        await self.ann.notes.aclear()
        self.assertEqual(await self.ann.notes.acount(), 0)
        # The notes still exist, detached from the author.
        self.assertEqual(await Note.objects.filter(author=None).acount(), 3)

    async def test_aclear_bulk_false(self):
        # One query to fetch the notes, then one UPDATE for each of them.
        async with self.assertNumQueriesAsync(3):
            await self.ann.notes.aclear(bulk=False)
        self.assertEqual(await self.ann.notes.acount(), 0)

    async def test_aset(self):
        await self.ann.notes.aset([self.note2, self.loose])
        self.assertEqual(
            {n.pk async for n in self.ann.notes.all()},
            {self.note2.pk, self.loose.pk},
        )
        self.assertIsNone((await Note.objects.aget(pk=self.note1.pk)).author_id)

    async def test_aset_clear(self):
        # clear=True detaches everything first, then adds the new set.
        await self.ann.notes.aset([self.note2], clear=True)
        self.assertEqual([n async for n in self.ann.notes.all()], [self.note2])
        self.assertIsNone((await Note.objects.aget(pk=self.note1.pk)).author_id)

    async def test_aset_clear_bulk_false(self):
        saved = []

        def record(sender, instance, **kwargs):
            saved.append((instance.pk, instance.author_id))

        post_save.connect(record, sender=Note)
        self.addCleanup(post_save.disconnect, record, sender=Note)
        await self.ann.notes.aset([self.note2], clear=True, bulk=False)
        # Both notes are detached one by one, then note2 is attached again;
        # without clear=True only note1 would be saved.
        self.assertCountEqual(
            saved,
            [
                (self.note1.pk, None),
                (self.note2.pk, None),
                (self.note2.pk, self.ann.pk),
            ],
        )

    async def test_aset_queryset(self):
        await self.ann.notes.aset(Note.objects.filter(text="loose"))
        self.assertEqual([n async for n in self.ann.notes.all()], [self.loose])

    async def test_aset_non_nullable(self):
        # Without remove(), set() on a non-null foreign key only adds.
        await self.ann.books.aset([self.book])
        self.assertEqual([b async for b in self.ann.books.all()], [self.book])

    async def test_aset_clears_prefetch_cache(self):
        author = await Author.objects.prefetch_related("notes").aget(pk=self.ann.pk)
        self.assertEqual(len(author.notes.all()), 2)
        await author.notes.aset([self.loose])
        self.assertEqual([n async for n in author.notes.all()], [self.loose])


class AsyncManyToManyChangesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.article = Article.objects.create(headline="Async ORM")
        cls.other = Article.objects.create(headline="Sync ORM")
        cls.python = Tag.objects.create(label="python")
        cls.django = Tag.objects.create(label="django")
        cls.orm = Tag.objects.create(label="orm")
        Tagging.objects.create(article=cls.article, tag=cls.python, weight=2)
        Tagging.objects.create(article=cls.other, tag=cls.python, weight=3)

    async def labels(self, article):
        return [t.label async for t in article.tags.order_by("label")]

    async def test_forward_aadd(self):
        await self.article.tags.aadd(self.django, self.orm)
        self.assertEqual(await self.labels(self.article), ["django", "orm", "python"])
        link = await Tagging.objects.aget(article=self.article, tag=self.django)
        self.assertEqual(link.weight, 1)

    async def test_forward_aadd_through_defaults(self):
        await self.article.tags.aadd(self.django, through_defaults={"weight": 9})
        link = await Tagging.objects.aget(article=self.article, tag=self.django)
        self.assertEqual(link.weight, 9)

    async def test_forward_aadd_by_pk(self):
        await self.article.tags.aadd(self.orm.pk)
        self.assertEqual(await self.labels(self.article), ["orm", "python"])

    async def test_forward_aadd_existing_is_noop(self):
        await self.article.tags.aadd(self.python, through_defaults={"weight": 7})
        link = await Tagging.objects.aget(article=self.article, tag=self.python)
        self.assertEqual(link.weight, 2)
        self.assertEqual(await Tagging.objects.acount(), 2)

    async def test_forward_aadd_wrong_model(self):
        msg = "'Tag' instance expected, got <Article: Article object"
        with self.assertRaisesMessage(TypeError, msg):
            await self.article.tags.aadd(self.other)

    async def test_reverse_aadd_through_defaults(self):
        await self.django.articles.aadd(
            self.article, self.other, through_defaults={"weight": 4}
        )
        self.assertEqual(
            [link.weight async for link in Tagging.objects.filter(tag=self.django)],
            [4, 4],
        )

    async def test_reverse_aadd_wrong_model(self):
        with self.assertRaisesMessage(TypeError, "'Article' instance expected"):
            await self.django.articles.aadd(self.orm)

    async def test_forward_aremove(self):
        await self.article.tags.aremove(self.python)
        self.assertEqual(await self.labels(self.article), [])
        # Only the link goes; the tag and its other links stay.
        self.assertEqual(await self.labels(self.other), ["python"])

    async def test_reverse_aremove(self):
        await self.python.articles.aremove(self.other)
        self.assertEqual([a async for a in self.python.articles.all()], [self.article])

    async def test_forward_aclear(self):
        await self.article.tags.aadd(self.orm)
        await self.article.tags.aclear()
        self.assertEqual(await self.labels(self.article), [])
        self.assertEqual(await Tag.objects.acount(), 3)

    async def test_reverse_aclear(self):
        await self.python.articles.aclear()
        self.assertEqual(await self.python.articles.acount(), 0)
        self.assertEqual(await Article.objects.acount(), 2)

    async def test_forward_aset(self):
        await self.article.tags.aset(
            [self.python, self.orm], through_defaults={"weight": 5}
        )
        self.assertEqual(await self.labels(self.article), ["orm", "python"])
        # The kept link isn't recreated, so it keeps its weight.
        link = await Tagging.objects.aget(article=self.article, tag=self.python)
        self.assertEqual(link.weight, 2)
        link = await Tagging.objects.aget(article=self.article, tag=self.orm)
        self.assertEqual(link.weight, 5)

    async def test_forward_aset_clear(self):
        await self.article.tags.aset(
            [self.python, self.orm], clear=True, through_defaults={"weight": 5}
        )
        self.assertEqual(await self.labels(self.article), ["orm", "python"])
        # clear=True removed the old link and added it again.
        link = await Tagging.objects.aget(article=self.article, tag=self.python)
        self.assertEqual(link.weight, 5)

    async def test_reverse_aset(self):
        await self.django.articles.aset([self.other])
        self.assertEqual([a async for a in self.django.articles.all()], [self.other])

    async def test_aset_wrong_model(self):
        msg = "Field 'id' expected a number but got %r." % self.other
        with self.assertRaisesMessage(TypeError, msg):
            await self.article.tags.aset([self.other])


class AsyncGenericRelationManagerTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.poll = Poll.objects.create(question="Tabs or spaces?")
        cls.other_poll = Poll.objects.create(question="Vim or Emacs?")
        cls.first = cls.other_poll.comments.create(text="first")
        cls.second = cls.other_poll.comments.create(text="second")

    async def texts(self, poll):
        return [c.text async for c in poll.comments.order_by("text")]

    async def test_aadd(self):
        await self.poll.comments.aadd(self.first)
        self.assertEqual(await self.texts(self.poll), ["first"])
        self.assertEqual(await self.texts(self.other_poll), ["second"])

    async def test_aadd_bulk_false(self):
        comment = Comment(text="unsaved")
        await self.poll.comments.aadd(comment, bulk=False)
        self.assertIsNotNone(comment.pk)
        self.assertEqual(await self.texts(self.poll), ["unsaved"])

    async def test_aadd_wrong_model(self):
        with self.assertRaisesMessage(TypeError, "'Comment' instance expected"):
            await self.poll.comments.aadd(self.other_poll)

    async def test_aremove(self):
        # Removing from a generic relation deletes the object.
        await self.other_poll.comments.aremove(self.first)
        self.assertEqual(await self.texts(self.other_poll), ["second"])
        self.assertIs(await Comment.objects.filter(pk=self.first.pk).aexists(), False)

    async def test_aremove_bulk_false(self):
        await self.other_poll.comments.aremove(self.first, bulk=False)
        self.assertEqual(await Comment.objects.acount(), 1)

    async def test_aclear(self):
        await self.other_poll.comments.aclear()
        self.assertEqual(await Comment.objects.acount(), 0)

    async def test_aclear_bulk_false(self):
        await self.other_poll.comments.aclear(bulk=False)
        self.assertEqual(await Comment.objects.acount(), 0)

    async def test_aset(self):
        third = await self.poll.comments.acreate(text="third")
        await self.other_poll.comments.aset([self.second, third])
        self.assertEqual(await self.texts(self.other_poll), ["second", "third"])
        self.assertIs(await Comment.objects.filter(pk=self.first.pk).aexists(), False)

    async def test_aset_clear(self):
        third = await self.poll.comments.acreate(text="third")
        await self.other_poll.comments.aset([third], clear=True)
        self.assertEqual(await self.texts(self.other_poll), ["third"])
        # Clearing a generic relation deletes the objects it held.
        self.assertEqual(await Comment.objects.acount(), 1)

    async def test_acreate(self):
        comment = await self.poll.comments.acreate(text="new")
        self.assertEqual(comment.object_id, self.poll.pk)
        content_type = await ContentType.objects.aget(app_label="async", model="poll")
        self.assertEqual(comment.content_type_id, content_type.pk)
        self.assertEqual(await self.texts(self.poll), ["new"])

    async def test_aget_or_create(self):
        # other_poll has a "first" comment, but it isn't poll's.
        comment, created = await self.poll.comments.aget_or_create(text="first")
        self.assertIs(created, True)
        self.assertEqual(comment.object_id, self.poll.pk)
        again, created = await self.poll.comments.aget_or_create(text="first")
        self.assertIs(created, False)
        self.assertEqual(again, comment)

    async def test_aupdate_or_create(self):
        comment, created = await self.other_poll.comments.aupdate_or_create(
            text="first", defaults={"text": "1st"}
        )
        self.assertIs(created, False)
        self.assertEqual(comment.pk, self.first.pk)
        self.assertEqual(await self.texts(self.other_poll), ["1st", "second"])
        comment, created = await self.poll.comments.aupdate_or_create(text="new")
        self.assertIs(created, True)
        self.assertEqual(comment.object_id, self.poll.pk)


class AsyncRelatedManagerChangeMethodsTest(SimpleTestCase):
    def test_alters_data(self):
        managers = {
            "reverse foreign key": (type(Author().notes), ["aadd", "aremove"]),
            "forward many-to-many": (type(Article(pk=1).tags), ["aadd", "aremove"]),
            "reverse many-to-many": (type(Tag(pk=1).articles), ["aadd", "aremove"]),
            "generic relation": (
                Poll.comments.related_manager_cls,
                ["aadd", "aremove", "acreate", "aget_or_create", "aupdate_or_create"],
            ),
        }
        for kind, (manager_class, names) in managers.items():
            for name in names + ["aclear", "aset"]:
                with self.subTest(kind=kind, name=name):
                    self.assertIs(getattr(manager_class, name).alters_data, True)

    def test_non_nullable_foreign_key_has_no_aremove_aclear(self):
        # remove() and clear() would have to set a NOT NULL column to NULL.
        manager = Author().books
        for name in ("remove", "clear", "aremove", "aclear"):
            with self.subTest(name=name):
                self.assertIs(hasattr(manager, name), False)
        self.assertIs(hasattr(manager, "aadd"), True)
        self.assertIs(hasattr(manager, "aset"), True)
