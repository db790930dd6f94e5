"""
Spatial lookup values never reach GDALRaster unless they are GDALRaster
objects already (CVE-2026-15307, CVE-2026-87890).
"""

import json
from unittest import mock

from django.contrib.gis.gdal import GDALRaster
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import connection
from django.test import SimpleTestCase

from .geoapp.models import City
from .rasterapp.models import RasterModel

RASTER_DICT = {
    "driver": "MEM",
    "width": 2,
    "height": 2,
    "srid": 4326,
    "bands": [{"data": range(4)}],
}
VRT = (
    b'<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand band="1">'
    b"<SimpleSource><SourceFilename>/vsicurl/http://127.0.0.1:9/x.tif"
    b"</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>"
)


class SpatialLookupValueTests(SimpleTestCase):
    def setUp(self):
        # Record every GDALRaster construction.
        patcher = mock.patch.object(
            GDALRaster, "__init__", autospec=True, side_effect=GDALRaster.__init__
        )
        self.raster_class = patcher.start()
        self.addCleanup(patcher.stop)

    def assertRejected(self, value, message):
        lookups = [
            (City, "point__intersects"),
            (City, "point"),
            (City, "point__in"),
            (RasterModel, "rast__intersects"),
            (RasterModel, "rast__contains"),
        ]
        for model, lookup in lookups:
            with self.subTest(lookup=lookup):
                lookup_value = [value] if lookup.endswith("__in") else value
                with self.assertRaisesMessage(ValueError, message):
                    model.objects.filter(**{lookup: lookup_value})
        self.raster_class.assert_not_called()

    def test_dict_rejected(self):
        msg = "Cannot use object with type dict for a spatial lookup parameter."
        self.assertRejected(RASTER_DICT, msg)
        self.assertRejected(
            {"name": "/tmp/written.tif", "driver": "GTiff", **RASTER_DICT}, msg
        )

    def test_strings_that_are_not_geometries_rejected(self):
        values = [
            json.dumps({**RASTER_DICT, "bands": [{"data": [0, 1, 2, 3]}]}),
            "/vsicurl/http://127.0.0.1:9/raster.tif",
            "/vsimem/raster.tif",
            __file__,
        ]
        for value in values:
            with self.subTest(value=value):
                self.assertRejected(
                    value, "Couldn't create spatial object from lookup value"
                )

    def test_bytes_that_are_not_geometries_rejected(self):
        values = [
            VRT,
            b"/vsicurl/http://127.0.0.1:9/raster.tif",
            b"\x00\xff\x00\xff",
        ]
        for value in values:
            with self.subTest(value=value):
                self.assertRejected(
                    value, "Couldn't create spatial object from lookup value"
                )

    def test_geometry_values_accepted(self):
        point = Point(1, 2, srid=4326)
        values = [
            point,
            point.wkt,
            point.ewkt,
            point.hexewkb.decode(),
            point.hexewkb,
            point.json,
        ]
        for value in values:
            with self.subTest(value=value):
                lookup = City.objects.filter(point__intersects=value).query.where
                rhs = lookup.children[0].rhs
                self.assertIsInstance(rhs, GEOSGeometry)
                self.assertTrue(rhs.equals(point))
                qs = RasterModel.objects.filter(rast__intersects=value)
                self.assertIsInstance(qs.query.where.children[0].rhs, GEOSGeometry)
        self.raster_class.assert_not_called()

    def test_gdalraster_accepted(self):
        raster = GDALRaster(RASTER_DICT)
        self.raster_class.reset_mock()
        qs = RasterModel.objects.filter(rast__intersects=raster)
        self.assertIs(qs.query.where.children[0].rhs, raster)
        qs = City.objects.filter(point__intersects=(raster, 1))
        self.assertIs(qs.query.where.children[0].rhs, raster)
        self.raster_class.assert_not_called()

    def test_assignment_still_accepts_raster_input(self):
        # Values saved to a field are the application's own and may still
        # describe a raster.
        field = RasterModel._meta.get_field("rast")
        with mock.patch.object(
            connection.ops, "Adapter", side_effect=lambda value, **kwargs: value
        ):
            raster = field.get_db_prep_save(RASTER_DICT, connection)
        self.assertIsInstance(raster, GDALRaster)
        self.assertEqual((raster.width, raster.height), (2, 2))
        self.raster_class.assert_called_once_with(raster, RASTER_DICT)
