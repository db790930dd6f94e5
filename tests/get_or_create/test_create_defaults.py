from datetime import date

from django.core.exceptions import FieldError
from django.test import TestCase

from .models import Author, Book, Person, Publisher


class UpdateOrCreateCreateDefaultsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ada = Person.objects.create(
            first_name="Ada", last_name="Lovelace", birthday=date(1815, 12, 10)
        )

    def test_create_uses_create_defaults(self):
        person, created = Person.objects.update_or_create(
            first_name="Grace",
            defaults={"last_name": "updated"},
            create_defaults={"last_name": "Hopper", "birthday": date(1906, 12, 9)},
        )
        self.assertIs(created, True)
        self.assertEqual(person.last_name, "Hopper")
        person.refresh_from_db()
        self.assertEqual(person.birthday, date(1906, 12, 9))

    def test_update_uses_defaults(self):
        person, created = Person.objects.update_or_create(
            first_name="Ada",
            defaults={"last_name": "King"},
            create_defaults={"last_name": "never", "birthday": date(2000, 1, 1)},
        )
        self.assertIs(created, False)
        self.assertEqual(person.pk, self.ada.pk)
        self.ada.refresh_from_db()
        self.assertEqual(self.ada.last_name, "King")
        self.assertEqual(self.ada.birthday, date(1815, 12, 10))

    def test_create_falls_back_to_defaults(self):
        person, created = Person.objects.update_or_create(
            first_name="Alan",
            defaults={"last_name": "Turing", "birthday": date(1912, 6, 23)},
            create_defaults=None,
        )
        self.assertIs(created, True)
        self.assertEqual(person.last_name, "Turing")

    def test_empty_create_defaults_are_not_defaults(self):
        # An empty dict is a choice, unlike None: nothing from defaults is used.
        person, created = Person.objects.update_or_create(
            first_name="Edsger",
            last_name="Dijkstra",
            birthday=date(1930, 5, 11),
            defaults={"last_name": "updated"},
            create_defaults={},
        )
        self.assertIs(created, True)
        self.assertEqual(person.last_name, "Dijkstra")

    def test_callable_create_defaults(self):
        person, created = Person.objects.update_or_create(
            first_name="Barbara",
            create_defaults={
                "last_name": lambda: "Liskov",
                "birthday": date(1939, 11, 7),
            },
        )
        self.assertIs(created, True)
        self.assertEqual(person.last_name, "Liskov")

    def test_invalid_create_defaults(self):
        msg = "Invalid field name(s) for model Person: 'nickname'."
        with self.assertRaisesMessage(FieldError, msg):
            Person.objects.update_or_create(
                first_name="Niklaus",
                create_defaults={"nickname": "N", "birthday": date(1934, 2, 15)},
            )

    def test_related_manager(self):
        publisher = Publisher.objects.create(name="Acme")
        author = Author.objects.create(name="Ann")
        book, created = publisher.books.update_or_create(
            name="Manual",
            defaults={"name": "Manual, 2nd ed."},
            create_defaults={"name": "Manual"},
        )
        self.assertIs(created, True)
        self.assertEqual(book.publisher, publisher)
        book.authors.add(author)
        book, created = author.books.update_or_create(
            name="Manual",
            defaults={"name": "Manual, 2nd ed."},
            create_defaults={"name": "never", "publisher": publisher},
        )
        self.assertIs(created, False)
        self.assertEqual(Book.objects.get().name, "Manual, 2nd ed.")

    async def test_aupdate_or_create(self):
        person, created = await Person.objects.aupdate_or_create(
            first_name="Katherine",
            defaults={"last_name": "updated"},
            create_defaults={"last_name": "Johnson", "birthday": date(1918, 8, 26)},
        )
        self.assertIs(created, True)
        self.assertEqual(person.last_name, "Johnson")
        person, created = await Person.objects.aupdate_or_create(
            first_name="Katherine",
            defaults={"last_name": "Goble"},
            create_defaults={"last_name": "never"},
        )
        self.assertIs(created, False)
        self.assertEqual(person.last_name, "Goble")

    async def test_related_manager_aupdate_or_create(self):
        publisher = await Publisher.objects.acreate(name="Acme")
        book, created = await publisher.books.aupdate_or_create(
            name="Guide", create_defaults={"name": "Guide"}
        )
        self.assertIs(created, True)
        self.assertEqual(book.publisher_id, publisher.pk)
