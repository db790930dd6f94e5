from unittest import mock

from django.core.exceptions import FieldDoesNotExist
from django.db import NotSupportedError, connection
from django.test import TestCase, skipIfDBFeature, skipUnlessDBFeature

from .models import Pairing, Sensor, TwoFields


def target(*names):
    """unique_fields for this database: MySQL takes none, the others need them."""
    if connection.features.supports_update_conflicts_with_target:
        return list(names)
    return None


class BulkCreateConflictOptionsTests(TestCase):
    def assertNothingSaved(self):
        self.assertIs(Sensor.objects.exists(), False)

    def test_ignore_and_update_are_exclusive(self):
        msg = "ignore_conflicts and update_conflicts are mutually exclusive."
        with self.assertRaisesMessage(ValueError, msg):
            Sensor.objects.bulk_create(
                [Sensor(serial="a")],
                ignore_conflicts=True,
                update_conflicts=True,
                update_fields=["reading"],
                unique_fields=target("serial"),
            )
        self.assertNothingSaved()

    def test_update_conflicts_unsupported(self):
        msg = "This database backend does not support updating conflicts."
        with mock.patch.object(connection.features, "supports_update_conflicts", False):
            with self.assertRaisesMessage(NotSupportedError, msg):
                Sensor.objects.bulk_create(
                    [Sensor(serial="a")],
                    update_conflicts=True,
                    update_fields=["reading"],
                    unique_fields=target("serial"),
                )
        self.assertNothingSaved()

    def test_ignore_conflicts_unsupported(self):
        msg = "This database backend does not support ignoring conflicts."
        with mock.patch.object(connection.features, "supports_ignore_conflicts", False):
            with self.assertRaisesMessage(NotSupportedError, msg):
                Sensor.objects.bulk_create([Sensor(serial="a")], ignore_conflicts=True)
        self.assertNothingSaved()

    @skipUnlessDBFeature("supports_update_conflicts")
    def test_update_fields_required(self):
        msg = (
            "Fields that will be updated when a row insertion fails on conflicts "
            "must be provided."
        )
        for update_fields in (None, []):
            with self.subTest(update_fields=update_fields):
                with self.assertRaisesMessage(ValueError, msg):
                    Sensor.objects.bulk_create(
                        [Sensor(serial="a")],
                        update_conflicts=True,
                        update_fields=update_fields,
                        unique_fields=target("serial"),
                    )
        self.assertNothingSaved()

    @skipUnlessDBFeature(
        "supports_update_conflicts", "supports_update_conflicts_with_target"
    )
    def test_unique_fields_required(self):
        msg = "Unique fields that can trigger the upsert must be provided."
        with self.assertRaisesMessage(ValueError, msg):
            Sensor.objects.bulk_create(
                [Sensor(serial="a")], update_conflicts=True, update_fields=["reading"]
            )
        self.assertNothingSaved()

    @skipUnlessDBFeature("supports_update_conflicts")
    @skipIfDBFeature("supports_update_conflicts_with_target")
    def test_unique_fields_unsupported(self):
        msg = (
            "This database backend does not support updating conflicts with "
            "specifying unique fields that can trigger the upsert."
        )
        with self.assertRaisesMessage(NotSupportedError, msg):
            Sensor.objects.bulk_create(
                [Sensor(serial="a")],
                update_conflicts=True,
                update_fields=["reading"],
                unique_fields=["serial"],
            )
        self.assertNothingSaved()

    @skipUnlessDBFeature("supports_update_conflicts")
    def test_update_fields_primary_key(self):
        msg = "bulk_create() cannot be used with primary keys in update_fields."
        with self.assertRaisesMessage(ValueError, msg):
            Sensor.objects.bulk_create(
                [Sensor(serial="a")],
                update_conflicts=True,
                update_fields=["id"],
                unique_fields=target("serial"),
            )

    @skipUnlessDBFeature("supports_update_conflicts")
    def test_update_fields_many_to_many(self):
        msg = "bulk_create() can only be used with concrete fields in update_fields."
        with self.assertRaisesMessage(ValueError, msg):
            Sensor.objects.bulk_create(
                [Sensor(serial="a")],
                update_conflicts=True,
                update_fields=["states"],
                unique_fields=target("serial"),
            )

    @skipUnlessDBFeature(
        "supports_update_conflicts", "supports_update_conflicts_with_target"
    )
    def test_unique_fields_many_to_many(self):
        msg = "bulk_create() can only be used with concrete fields in unique_fields."
        with self.assertRaisesMessage(ValueError, msg):
            Sensor.objects.bulk_create(
                [Sensor(serial="a")],
                update_conflicts=True,
                update_fields=["reading"],
                unique_fields=["states"],
            )

    @skipUnlessDBFeature("supports_update_conflicts")
    def test_unknown_field(self):
        with self.assertRaises(FieldDoesNotExist):
            Sensor.objects.bulk_create(
                [Sensor(serial="a")],
                update_conflicts=True,
                update_fields=["nonexistent"],
                unique_fields=target("serial"),
            )

    def test_empty_objs_skip_checks(self):
        objs = Sensor.objects.bulk_create(
            [], ignore_conflicts=True, update_conflicts=True
        )
        self.assertEqual(objs, [])


@skipUnlessDBFeature("supports_update_conflicts")
class BulkCreateUpdateConflictsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        Sensor.objects.create(serial="north", reading=1, label="old north")
        Sensor.objects.create(serial="south", reading=2, label="old south")

    def readings(self):
        return dict(Sensor.objects.values_list("serial", "reading"))

    def test_updates_conflicting_rows_and_inserts_others(self):
        Sensor.objects.bulk_create(
            [
                Sensor(serial="north", reading=10, label="new north"),
                Sensor(serial="east", reading=30, label="new east"),
            ],
            update_conflicts=True,
            update_fields=["reading"],
            unique_fields=target("serial"),
        )
        self.assertEqual(self.readings(), {"north": 10, "south": 2, "east": 30})
        # Only the listed fields change on the conflicting row.
        self.assertEqual(Sensor.objects.get(serial="north").label, "old north")
        self.assertEqual(Sensor.objects.get(serial="east").label, "new east")

    def test_field_with_db_column(self):
        Sensor.objects.bulk_create(
            [Sensor(serial="south", reading=20, label="new south")],
            update_conflicts=True,
            update_fields=["reading", "label"],
            unique_fields=target("serial"),
        )
        south = Sensor.objects.get(serial="south")
        self.assertEqual((south.reading, south.label), (20, "new south"))
        self.assertEqual(Sensor.objects.count(), 2)

    def test_batches(self):
        Sensor.objects.bulk_create(
            [Sensor(serial=name, reading=i) for i, name in enumerate("abcde")]
            + [Sensor(serial="north", reading=100)],
            batch_size=2,
            update_conflicts=True,
            update_fields=["reading"],
            unique_fields=target("serial"),
        )
        self.assertEqual(Sensor.objects.count(), 7)
        self.assertEqual(self.readings()["north"], 100)

    @skipUnlessDBFeature("supports_update_conflicts_with_target")
    def test_unique_fields_pk(self):
        north = Sensor.objects.get(serial="north")
        Sensor.objects.bulk_create(
            [Sensor(pk=north.pk, serial="north", reading=7)],
            update_conflicts=True,
            update_fields=["reading"],
            unique_fields=["pk"],
        )
        self.assertEqual(self.readings(), {"north": 7, "south": 2})

    def test_several_unique_fields(self):
        Pairing.objects.create(left=1, right=2, note="first")
        Pairing.objects.bulk_create(
            [
                Pairing(left=1, right=2, note="again"),
                Pairing(left=2, right=1, note="swapped"),
            ],
            update_conflicts=True,
            update_fields=["note"],
            unique_fields=target("left", "right"),
        )
        self.assertEqual(
            list(Pairing.objects.order_by("left").values_list("note", flat=True)),
            ["again", "swapped"],
        )

    def test_one_of_two_unique_fields(self):
        TwoFields.objects.create(f1=1, f2=1)
        TwoFields.objects.bulk_create(
            [TwoFields(f1=1, f2=5), TwoFields(f1=2, f2=2)],
            update_conflicts=True,
            update_fields=["f2"],
            unique_fields=target("f1"),
        )
        self.assertEqual(
            list(TwoFields.objects.order_by("f1").values_list("f1", "f2")),
            [(1, 5), (2, 2)],
        )

    @skipUnlessDBFeature("can_return_rows_from_bulk_insert")
    def test_sets_primary_keys(self):
        north_pk = Sensor.objects.get(serial="north").pk
        north, west = Sensor.objects.bulk_create(
            [Sensor(serial="north", reading=5), Sensor(serial="west", reading=6)],
            update_conflicts=True,
            update_fields=["reading"],
            unique_fields=target("serial"),
        )
        self.assertEqual(north.pk, north_pk)
        self.assertEqual(west.pk, Sensor.objects.get(serial="west").pk)

    async def test_abulk_create(self):
        await Sensor.objects.abulk_create(
            [Sensor(serial="north", reading=11), Sensor(serial="up", reading=12)],
            update_conflicts=True,
            update_fields=["reading"],
            unique_fields=target("serial"),
        )
        readings = {
            serial: reading
            async for serial, reading in Sensor.objects.values_list("serial", "reading")
        }
        self.assertEqual(readings, {"north": 11, "south": 2, "up": 12})

    async def test_abulk_create_error(self):
        msg = "ignore_conflicts and update_conflicts are mutually exclusive."
        with self.assertRaisesMessage(ValueError, msg):
            await Sensor.objects.abulk_create(
                [Sensor(serial="a")],
                ignore_conflicts=True,
                update_conflicts=True,
                update_fields=["reading"],
            )
