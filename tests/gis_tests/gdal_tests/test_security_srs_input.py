"""
Spatial reference strings can't make GDAL read a file or fetch a URL
(CVE-2026-114582).
"""

from unittest import mock

from django.contrib.gis.gdal import (
    GDALRaster,
    OGRGeometry,
    SpatialReference,
    SRSException,
)
from django.contrib.gis.gdal.prototypes import srs as capi
from django.test import SimpleTestCase

RESOURCES = [
    "http://127.0.0.1:9/crs.prj",
    " HTTPS://127.0.0.1:9/crs.prj",
    "ftp://127.0.0.1:9/crs.prj",
    "file:///etc/passwd",
    "/vsicurl/http://127.0.0.1:9/crs.prj",
    "/vsizip//tmp/x.zip/crs.prj",
    "+proj=longlat +init=/etc/passwd:x",
    __file__,
]
DEFINITIONS = [
    "EPSG:4326",
    "4326",
    "WGS84",
    "+proj=longlat +datum=WGS84 +no_defs",
    "urn:ogc:def:crs:EPSG::4326",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
    SpatialReference(4326).wkt,
]


class SpatialReferenceInputTests(SimpleTestCase):
    def test_resources_rejected_without_gdal_options(self):
        # GDAL before 3.9 can't be told to stay offline: the input is checked.
        with mock.patch.object(capi, "from_user_input_ex", None, create=True):
            with mock.patch.object(capi, "from_user_input") as from_user_input:
                for value in RESOURCES:
                    with self.subTest(value=value):
                        msg = "Spatial reference input can't name a file or a URL"
                        with self.assertRaisesMessage(SRSException, msg):
                            SpatialReference(value)
                        with self.assertRaisesMessage(SRSException, msg):
                            OGRGeometry("POINT (1 2)", srs=value)
                        with self.assertRaisesMessage(SRSException, msg):
                            OGRGeometry("POINT (1 2)", srs=4326).transform(value)
            from_user_input.assert_not_called()

    def test_raster_srs_setter(self):
        raster = GDALRaster(
            {"width": 1, "height": 1, "srid": 4326, "bands": [{"data": [1]}]}
        )
        with mock.patch.object(capi, "from_user_input_ex", None, create=True):
            with mock.patch.object(capi, "from_user_input") as from_user_input:
                msg = "Spatial reference input can't name a file or a URL"
                with self.assertRaisesMessage(SRSException, msg):
                    raster.srs = RESOURCES[0]
            from_user_input.assert_not_called()
        self.assertEqual(raster.srs.srid, 4326)

    def test_definitions_accepted_without_gdal_options(self):
        with mock.patch.object(capi, "from_user_input_ex", None, create=True):
            for value in DEFINITIONS:
                with self.subTest(value=value):
                    srs = SpatialReference(value)
                    self.assertIs(srs.geographic, True)

    def test_gdal_options_used_when_available(self):
        # GDAL 3.9+ is asked not to read files or to use the network.
        calls = []

        def from_user_input_ex(ptr, user_input, options):
            calls.append((user_input, [options[0], options[1], options[2]]))
            capi.from_user_input(ptr, user_input)

        with mock.patch.object(
            capi, "from_user_input_ex", from_user_input_ex, create=True
        ):
            self.assertEqual(SpatialReference("EPSG:4326").srid, 4326)
        self.assertEqual(
            calls,
            [
                (
                    b"EPSG:4326",
                    [b"ALLOW_NETWORK_ACCESS=NO", b"ALLOW_FILE_ACCESS=NO", None],
                )
            ],
        )
