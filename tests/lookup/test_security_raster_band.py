"""
CVE-2026-1207: PostGIS raster lookups write their band indices into the SQL.

gis_tests.rasterapp checks this through the ORM where PostGIS runs. The tests
here call PostGISOperator.check_raster() itself, on a copy of the PostGIS
operations module imported with stand-ins for the modules that need GDAL, GEOS
or a PostgreSQL driver, so that they run on every database, GIS or not.
"""

import importlib
import sys
import types
from types import SimpleNamespace
from unittest import mock

from django.test import SimpleTestCase

PACKAGE = "django.contrib.gis.db.backends.postgis"
OPERATIONS = PACKAGE + ".operations"


class StandInRaster:
    pass


def stand_in_modules():
    def module(name, **attrs):
        stand_in = types.ModuleType(name)
        stand_in.__dict__.update(attrs)
        return stand_in

    def cls(name):
        return type(name, (), {})

    modules = [
        module("django.contrib.gis.gdal", GDALRaster=StandInRaster),
        module("django.contrib.gis.geos"),
        module(
            "django.contrib.gis.geos.geometry",
            GEOSGeometryBase=cls("GEOSGeometryBase"),
        ),
        module("django.contrib.gis.geos.prototypes"),
        module("django.contrib.gis.geos.prototypes.io", wkb_r=None),
        module(
            "django.contrib.gis.db.models",
            GeometryField=cls("GeometryField"),
            RasterField=cls("RasterField"),
        ),
        module(
            "django.contrib.gis.db.backends.base.operations",
            BaseSpatialOperations=cls("BaseSpatialOperations"),
        ),
        module(
            "django.db.backends.postgresql.operations",
            DatabaseOperations=cls("DatabaseOperations"),
        ),
        module(PACKAGE + ".adapter", PostGISAdapter=cls("PostGISAdapter")),
        module(
            PACKAGE + ".models",
            PostGISGeometryColumns=cls("PostGISGeometryColumns"),
            PostGISSpatialRefSys=cls("PostGISSpatialRefSys"),
        ),
        module(PACKAGE + ".pgraster", from_pgraster=None),
    ]
    return {stand_in.__name__: stand_in for stand_in in modules}


class RasterBandIndexTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        package = sys.modules.get(PACKAGE)
        if package is not None and hasattr(package, "operations"):
            # Put the real module back on its package afterwards.
            cls.addClassCleanup(setattr, package, "operations", package.operations)
        modules = mock.patch.dict(sys.modules, stand_in_modules())
        modules.start()
        cls.addClassCleanup(modules.stop)
        # Import a copy that sees the stand-ins, even if the real module was
        # imported already; stopping the patch restores sys.modules.
        sys.modules.pop(OPERATIONS, None)
        cls.operations = importlib.import_module(OPERATIONS)

    def check_raster(self, band_lhs, band_rhs):
        operator = self.operations.PostGISOperator(
            func="ST_Contains", raster=self.operations.BILATERAL
        )
        # A raster on both sides, as in rast__1__contains=(raster, 2).
        lookup = SimpleNamespace(
            lhs=SimpleNamespace(field=SimpleNamespace(geom_type="RASTER")),
            rhs=StandInRaster(),
            rhs_params=[],
            band_lhs=band_lhs,
            band_rhs=band_rhs,
        )
        return operator.check_raster(lookup, {"lhs": "lhs_sql", "rhs": "rhs_sql"})

    def test_band_indices(self):
        self.assertEqual(
            self.check_raster(band_lhs=1, band_rhs=2),
            {"lhs": "lhs_sql, 1", "rhs": "rhs_sql, 2"},
        )
        self.assertEqual(
            self.check_raster(band_lhs=None, band_rhs=None),
            {"lhs": "lhs_sql", "rhs": "rhs_sql"},
        )

    def test_rhs_band_index_not_int(self):
        tests = [
            ("1) OR 1 = 1 --", "str"),
            (b"1", "bytes"),
            (1.0, "float"),
            (True, "bool"),
        ]
        for band, type_name in tests:
            msg = "Band index must be an integer, but got %r." % type_name
            with self.subTest(band=band):
                with self.assertRaisesMessage(TypeError, msg):
                    self.check_raster(band_lhs=1, band_rhs=band)

    def test_lhs_band_index_not_int(self):
        tests = [("1) OR 1 = 1 --", "str"), (1.5, "float")]
        for band, type_name in tests:
            msg = "Band index must be an integer, but got %r." % type_name
            with self.subTest(band=band):
                with self.assertRaisesMessage(TypeError, msg):
                    self.check_raster(band_lhs=band, band_rhs=None)

    def test_int_subclass_text(self):
        class Band(int):
            def __str__(self):
                return "1) OR 1 = 1 --"

            __repr__ = __str__

        self.assertEqual(
            self.check_raster(band_lhs=Band(1), band_rhs=Band(2)),
            {"lhs": "lhs_sql, 1", "rhs": "rhs_sql, 2"},
        )
