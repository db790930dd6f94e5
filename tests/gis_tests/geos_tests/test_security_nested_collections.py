"""
GEOMETRYCOLLECTIONs nested too deeply in WKT or WKB are refused before GEOS
parses them (CVE-2026-15830).
"""

import struct
from unittest import mock

from django.contrib.gis import forms
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import (
    GEOSException,
    GEOSGeometry,
    WKBReader,
    WKTReader,
    fromstr,
)
from django.contrib.gis.geos.prototypes import io as geos_io
from django.contrib.gis.geos.prototypes.io import MAX_GEOM_COLLECTIONS
from django.core.exceptions import ValidationError
from django.test import SimpleTestCase

# The GEOS reader must not be called; if it is, stop before GEOS parses.
REACHED_GEOS = GEOSException("The input reached GEOS.")
TOO_DEEP = "Geometry collections are nested more than %d levels deep."


def nested_wkt(depth, inner="POINT (1 2)"):
    return "GEOMETRYCOLLECTION (" * depth + inner + ")" * depth


def wkb_header(endian, geom_type, srid=None):
    marker = b"\x01" if endian == "<" else b"\x00"
    if srid is not None:
        return marker + struct.pack(endian + "II", geom_type | 0x20000000, srid)
    return marker + struct.pack(endian + "I", geom_type)


def nested_wkb(depth, endian="<", srid=None):
    """A point wrapped in `depth` collections of one member each."""
    collection = wkb_header(endian, 7, srid) + struct.pack(endian + "I", 1)
    point = wkb_header(endian, 1, srid) + struct.pack(endian + "dd", 1, 2)
    return collection * depth + point


class NestedCollectionsTests(SimpleTestCase):
    def test_default_limit(self):
        self.assertEqual(MAX_GEOM_COLLECTIONS, 198)
        self.assertEqual(GEOSGeometry(nested_wkt(198)).num_geom, 1)
        with self.assertRaisesMessage(ValueError, TOO_DEEP % 198):
            GEOSGeometry(nested_wkt(199))

    def test_wkt_custom_limit(self):
        geom = GEOSGeometry(nested_wkt(3), max_geom_collections=3)
        self.assertEqual(geom.geom_type, "GeometryCollection")
        with self.assertRaisesMessage(ValueError, TOO_DEEP % 3):
            GEOSGeometry(nested_wkt(4), max_geom_collections=3)
        with self.assertRaisesMessage(ValueError, TOO_DEEP % 3):
            fromstr(nested_wkt(4), max_geom_collections=3)

    def test_wkt_variants(self):
        tests = [
            "SRID=4326;" + nested_wkt(4),
            nested_wkt(4).lower(),
            "GEOMETRYCOLLECTION Z (" * 4 + "POINT Z (1 2 3)" + ")" * 4,
            "GEOMETRYCOLLECTION(" * 4 + "POINT(1 2)" + ")" * 4,
        ]
        for wkt in tests:
            with self.subTest(wkt=wkt):
                GEOSGeometry(wkt, max_geom_collections=4)
                with self.assertRaisesMessage(ValueError, TOO_DEEP % 3):
                    GEOSGeometry(wkt, max_geom_collections=3)

    def test_wkt_siblings_and_other_parentheses_do_not_count(self):
        # Only collections inside collections count: polygons, empty
        # collections and siblings don't add depth.
        wkt = (
            "GEOMETRYCOLLECTION (GEOMETRYCOLLECTION EMPTY, "
            "POLYGON ((0 0, 0 1, 1 1, 0 0)), GEOMETRYCOLLECTION (POINT (1 1)), "
            "GEOMETRYCOLLECTION (MULTIPOLYGON (((0 0, 0 1, 1 1, 0 0)))))"
        )
        self.assertEqual(GEOSGeometry(wkt, max_geom_collections=2).num_geom, 4)
        many = "GEOMETRYCOLLECTION (%s)" % ", ".join(
            ["GEOMETRYCOLLECTION (POINT (1 1))"] * 300
        )
        self.assertEqual(GEOSGeometry(many).num_geom, 300)

    def test_wkt_rejected_before_geos(self):
        with mock.patch.object(
            geos_io, "wkt_reader_read", side_effect=REACHED_GEOS
        ) as reader:
            with self.assertRaisesMessage(ValueError, TOO_DEEP % 198):
                GEOSGeometry(nested_wkt(100000))
            with self.assertRaisesMessage(ValueError, TOO_DEEP % 198):
                WKTReader().read(nested_wkt(100000))
            with self.assertRaisesMessage(ValueError, TOO_DEEP % 198):
                GEOSGeometry.from_ewkt("SRID=4326;" + nested_wkt(100000))
        reader.assert_not_called()

    def test_wkb_custom_limit(self):
        for endian in ("<", ">"):
            for srid in (None, 4326):
                wkb = nested_wkb(4, endian, srid)
                tests = [
                    memoryview(wkb),
                    wkb.hex(),
                    wkb.hex().upper(),
                    wkb.hex().encode(),
                ]
                for value in tests:
                    with self.subTest(endian=endian, srid=srid, value=value):
                        geom = GEOSGeometry(value, max_geom_collections=4)
                        self.assertEqual(geom.geom_type, "GeometryCollection")
                        with self.assertRaisesMessage(ValueError, TOO_DEEP % 3):
                            GEOSGeometry(value, max_geom_collections=3)

    def test_wkb_siblings_do_not_count(self):
        point = wkb_header("<", 1) + struct.pack("<dd", 1, 2)
        inner = wkb_header("<", 7) + struct.pack("<I", 1) + point
        wkb = wkb_header("<", 7) + struct.pack("<I", 300) + inner * 300
        self.assertEqual(GEOSGeometry(memoryview(wkb)).num_geom, 300)
        self.assertEqual(
            GEOSGeometry(memoryview(wkb), max_geom_collections=2).num_geom, 300
        )

    def test_wkb_rejected_before_geos(self):
        wkb = nested_wkb(100000, ">", 4326)
        with mock.patch.object(
            geos_io, "wkb_reader_read", side_effect=REACHED_GEOS
        ) as reader:
            with self.assertRaisesMessage(ValueError, TOO_DEEP % 198):
                GEOSGeometry(memoryview(wkb))
            with self.assertRaisesMessage(ValueError, TOO_DEEP % 198):
                WKBReader().read(memoryview(wkb))
        reader.assert_not_called()
        with mock.patch.object(
            geos_io, "wkb_reader_read_hex", side_effect=REACHED_GEOS
        ) as reader:
            with self.assertRaisesMessage(ValueError, TOO_DEEP % 198):
                GEOSGeometry(wkb.hex())
        reader.assert_not_called()

    def test_wkb_nested_multi_geometries_rejected(self):
        # A multi-geometry can only hold simple geometries; nesting them is
        # refused before GEOS recurses into them.
        multipoint = wkb_header("<", 4) + struct.pack("<I", 1)
        point = wkb_header("<", 1) + struct.pack("<dd", 1, 2)
        msg = "A multi-geometry can't contain other collections."
        with mock.patch.object(
            geos_io, "wkb_reader_read", side_effect=REACHED_GEOS
        ) as reader:
            with self.assertRaisesMessage(ValueError, msg):
                GEOSGeometry(memoryview(multipoint * 100000 + point))
        reader.assert_not_called()

    def test_form_field(self):
        field = forms.GeometryField(max_geom_collections=2)
        self.assertEqual(field.clean(nested_wkt(2)).num_geom, 1)
        with self.assertRaisesMessage(ValidationError, "Invalid geometry value."):
            field.clean(nested_wkt(3))
        with self.assertRaisesMessage(ValidationError, "Invalid geometry value."):
            forms.GeometryField().clean(nested_wkt(199))
        with self.assertRaisesMessage(ValidationError, "Invalid geometry value."):
            forms.GeometryField(widget=forms.Textarea).clean(nested_wkt(199))

    def test_model_field(self):
        field = GeometryField(max_geom_collections=2)
        *_, kwargs = field.deconstruct()
        self.assertEqual(kwargs["max_geom_collections"], 2)
        self.assertEqual(field.formfield().max_geom_collections, 2)
        self.assertEqual(field.get_prep_value(nested_wkt(2)).num_geom, 1)
        with self.assertRaises(ValueError):
            field.get_prep_value(nested_wkt(3))
        *_, kwargs = GeometryField().deconstruct()
        self.assertNotIn("max_geom_collections", kwargs)
        with self.assertRaises(ValueError):
            GeometryField().get_prep_value(nested_wkt(199))
