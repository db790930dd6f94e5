"""assertQuerySetEqual(), Django 4.2's name, beside the older assertQuerysetEqual()."""

import warnings

from django.test import TestCase

from .models import Person


class AssertQuerySetEqualNameTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ann = Person.objects.create(name="ann")
        cls.bob = Person.objects.create(name="bob")

    def test_new_name_passes(self):
        self.assertQuerySetEqual(Person.objects.order_by("name"), [self.ann, self.bob])
        self.assertQuerySetEqual(
            Person.objects.order_by("name"),
            ["bob", "ann"],
            lambda person: person.name,
            ordered=False,
        )

    def test_new_name_fails_on_a_difference(self):
        msg = "ann is not in the list"
        with self.assertRaisesMessage(AssertionError, msg):
            self.assertQuerySetEqual(
                Person.objects.order_by("name"),
                ["bob"],
                transform=lambda person: person.name,
                msg=msg,
            )

    def test_new_name_refuses_an_unordered_queryset(self):
        msg = (
            "Trying to compare non-ordered queryset against more than one "
            "ordered value."
        )
        with self.assertRaisesMessage(ValueError, msg):
            self.assertQuerySetEqual(Person.objects.all(), [self.ann, self.bob])

    def test_old_name_still_works_without_a_warning(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            self.assertQuerysetEqual(
                Person.objects.order_by("-name"), [self.bob, self.ann]
            )
        with self.assertRaises(AssertionError):
            self.assertQuerysetEqual(Person.objects.filter(name="ann"), [])

    def test_old_name_goes_through_the_new_one(self):
        calls = []

        class Recording(TestCase):
            def assertQuerySetEqual(self, *args, **kwargs):
                calls.append((args, kwargs))

        Recording("run").assertQuerysetEqual(Person.objects.none(), [], ordered=False)
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0][1], {"ordered": False})
