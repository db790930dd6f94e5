"""
A GeoJSON "crs" member can't make GDAL read a file or fetch a URL
(CVE-2026-111362).
"""

import json
from unittest import mock

from django.contrib.gis import forms
from django.contrib.gis.gdal import GDALException, OGRGeometry
from django.contrib.gis.gdal.prototypes import geom as capi
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.test import SimpleTestCase

MESSAGE = (
    "GeoJSON crs members may only name a spatial reference system by its "
    "authority code."
)
POINT = {"type": "Point", "coordinates": [1, 2]}


def with_crs(crs, geometry=POINT):
    return json.dumps({**geometry, "crs": crs})


UNSAFE_CRS = [
    {"type": "name", "properties": {"name": "http://127.0.0.1:9/crs.wkt"}},
    {"type": "name", "properties": {"name": "/vsicurl/http://127.0.0.1:9/x"}},
    {"type": "name", "properties": {"name": "/etc/passwd"}},
    {"type": "name", "properties": {"name": "EPSG:4326\nhttp://127.0.0.1:9/"}},
    {"type": "link", "properties": {"href": "http://127.0.0.1:9/crs.prj"}},
    {"type": "EPSG", "properties": {"code": "http://127.0.0.1:9/"}},
    {"type": "name", "properties": "EPSG:4326"},
    "http://127.0.0.1:9/crs.wkt",
]


class GeoJSONCrsTests(SimpleTestCase):
    def test_unsafe_crs_rejected_before_gdal(self):
        nested = {
            "type": "GeometryCollection",
            "geometries": [POINT, {**POINT, "crs": UNSAFE_CRS[0]}],
        }
        values = [with_crs(crs) for crs in UNSAFE_CRS] + [json.dumps(nested)]
        with mock.patch.object(capi, "from_json") as from_json:
            for value in values:
                with self.subTest(value=value):
                    with self.assertRaisesMessage(GDALException, MESSAGE):
                        OGRGeometry(value)
                    with self.assertRaisesMessage(GDALException, MESSAGE):
                        OGRGeometry.from_json(value)
                    with self.assertRaisesMessage(GDALException, MESSAGE):
                        GEOSGeometry(value)
        from_json.assert_not_called()

    def test_authority_codes_accepted(self):
        tests = [
            ({"type": "name", "properties": {"name": "EPSG:3857"}}, 3857),
            (
                {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
                3857,
            ),
            ({"type": "EPSG", "properties": {"code": 3857}}, 3857),
            (None, None),
        ]
        for crs, srid in tests:
            with self.subTest(crs=crs):
                geom = GEOSGeometry(with_crs(crs))
                self.assertEqual(geom.srid, srid)
                self.assertEqual(geom.coords, (1, 2))

    def test_form_field_rejects_unsafe_crs(self):
        field = forms.GeometryField(widget=forms.Textarea)
        with mock.patch.object(capi, "from_json") as from_json:
            with self.assertRaisesMessage(ValidationError, "Invalid geometry value."):
                field.clean(with_crs(UNSAFE_CRS[0]))
        from_json.assert_not_called()
        self.assertEqual(field.clean(json.dumps(POINT)).coords, (1, 2))
