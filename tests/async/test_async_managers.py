from django.db import models
from django.test import TestCase

from .models import ManagedItem, SimpleModel

ASYNC_QUERYSET_METHODS = [
    "aaggregate",
    "abulk_create",
    "abulk_update",
    "acontains",
    "acount",
    "acreate",
    "aearliest",
    "aexists",
    "aexplain",
    "afirst",
    "aget",
    "aget_or_create",
    "ain_bulk",
    "aiterator",
    "alast",
    "alatest",
    "aupdate",
    "aupdate_or_create",
]


class AsyncManagerTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.simple = SimpleModel.objects.create(field=5)
        cls.shown = ManagedItem.objects.create(name="shown")
        cls.hidden = ManagedItem.objects.create(name="hidden", hidden=True)
        cls.archived = ManagedItem.objects.create(name="archived", archived=True)

    def test_manager_has_async_methods(self):
        for name in ASYNC_QUERYSET_METHODS:
            with self.subTest(name=name):
                self.assertTrue(callable(getattr(models.Manager, name, None)))
                self.assertTrue(callable(getattr(SimpleModel.objects, name, None)))

    def test_manager_has_no_adelete(self):
        self.assertFalse(hasattr(models.Manager, "adelete"))
        self.assertFalse(hasattr(SimpleModel.objects, "adelete"))
        self.assertFalse(hasattr(ManagedItem.objects, "adelete"))

    async def test_aget(self):
        self.assertEqual(await SimpleModel.objects.aget(field=5), self.simple)

    async def test_aiterator(self):
        self.assertEqual(
            [obj async for obj in SimpleModel.objects.aiterator()], [self.simple]
        )

    async def test_from_queryset_uses_get_queryset(self):
        self.assertEqual(await ManagedItem.objects.acount(), 2)
        self.assertEqual(await ManagedItem.all_objects.acount(), 3)
        with self.assertRaises(ManagedItem.DoesNotExist):
            await ManagedItem.objects.aget(name="archived")

    async def test_from_queryset_chained_method(self):
        self.assertEqual(await ManagedItem.objects.visible().aget(), self.shown)

    async def test_from_queryset_custom_async_method(self):
        self.assertEqual(await ManagedItem.objects.acount_visible(), 1)
        await ManagedItem.objects.acreate(name="new")
        self.assertEqual(await ManagedItem.objects.acount_visible(), 2)

    async def test_from_queryset_aget_or_create(self):
        obj, created = await ManagedItem.objects.aget_or_create(name="shown")
        self.assertIs(created, False)
        self.assertEqual(obj, self.shown)
