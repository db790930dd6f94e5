"""
What the PostgreSQL backend needs from its driver, for psycopg 3 and psycopg2.

The backend runs on psycopg 3 when it can be imported and on psycopg2
otherwise. The rest of the backend and django.contrib.postgres import the
driver-dependent pieces from this module, so that the choice is made once.

Connection setup lives in functions that take a driver connection (not a
DatabaseWrapper), so that any code that opens connections itself, such as a
connection pool's configure callback, can prepare them the same way.
"""

import ipaddress
from enum import IntEnum
from functools import lru_cache

from django.utils.version import get_version_tuple

try:
    import psycopg as Database
except ImportError:
    import psycopg2 as Database

    is_psycopg3 = False
else:
    is_psycopg3 = True

# The oldest releases the backend is tested with.
MIN_PSYCOPG3_VERSION = (3, 1, 8)
MIN_PSYCOPG2_VERSION = (2, 8, 4)

driver_name = Database.__name__


def parse_driver_version(version):
    """
    The version tuple of a driver's __version__; psycopg2's carries build
    flags after a space: "2.9.9 (dt dec pq3)".
    """
    return get_version_tuple(version.split(" ", 1)[0])


driver_version = parse_driver_version(Database.__version__)


def check_driver_version():
    """Return an error message if the installed driver is too old, else None."""
    minimum = MIN_PSYCOPG3_VERSION if is_psycopg3 else MIN_PSYCOPG2_VERSION
    if driver_version < minimum:
        return "%s version %s or newer is required; you have %s" % (
            driver_name,
            ".".join(map(str, minimum)),
            Database.__version__,
        )
    return None


if is_psycopg3:
    from psycopg import ClientCursor, ServerCursor, errors, sql
    from psycopg.client_cursor import ClientCursorMixin
    from psycopg.pq import Format
    from psycopg.types import range as pg_range
    from psycopg.types.array import ListDumper
    from psycopg.types.datetime import TimestamptzLoader
    from psycopg.types.hstore import register_hstore as _register_hstore
    from psycopg.types.range import Range
    from psycopg.types.string import TextLoader

    _TIMESTAMPTZ_OID = 1184

    class IsolationLevel(IntEnum):
        # psycopg 3's values, which differ from psycopg2's.
        READ_UNCOMMITTED = Database.IsolationLevel.READ_UNCOMMITTED
        READ_COMMITTED = Database.IsolationLevel.READ_COMMITTED
        REPEATABLE_READ = Database.IsolationLevel.REPEATABLE_READ
        SERIALIZABLE = Database.IsolationLevel.SERIALIZABLE

    # psycopg2 has one class per kind of range and loads each range column
    # into its class; psycopg 3 has a single Range class. These subclasses
    # keep psycopg2's names, and the loaders registered below return them, so
    # that values read from the database are of the field's range_type.
    # __slots__ keeps the memory layout of Range, which the loaders rely on.
    class NumericRange(Range):
        """A range of int or Decimal: int4range, int8range or numrange."""

        __slots__ = ()

    class DateRange(Range):
        __slots__ = ()

    class DateTimeRange(Range):
        """A range of naive datetimes: tsrange."""

        __slots__ = ()

    class DateTimeTZRange(Range):
        """A range of datetimes stored as tstzrange (aware or, when USE_TZ is
        False, naive ones read in the connection's time zone)."""

        __slots__ = ()

    def Inet(value):
        """
        Adapt an IP address for an inet column. Values that aren't addresses
        are passed on as strings, for PostgreSQL to validate, as psycopg2
        does.
        """
        try:
            return ipaddress.ip_address(value)
        except ValueError:
            return value

    def _with_class(loader_class, range_class):
        def load(self, data):
            value = loader_class.load(self, data)
            value.__class__ = range_class
            return value

        return type(loader_class.__name__, (loader_class,), {"load": load})

    # The column type, and psycopg 3's loader for it returning the class
    # Django wants.
    _RANGE_LOADERS = [
        ("int4range", _with_class(pg_range.Int4RangeLoader, NumericRange)),
        ("int8range", _with_class(pg_range.Int8RangeLoader, NumericRange)),
        ("numrange", _with_class(pg_range.NumericRangeLoader, NumericRange)),
        ("daterange", _with_class(pg_range.DateRangeLoader, DateRange)),
        ("tsrange", _with_class(pg_range.TimestampRangeLoader, DateTimeRange)),
        (
            "tstzrange",
            _with_class(pg_range.TimestampTZRangeLoader, DateTimeTZRange),
        ),
    ]
    # Dump each class as its column type, whatever its bounds: a
    # DateTimeTZRange of naive datetimes is still a tstzrange. NumericRange
    # is sent untyped, as psycopg2 does, because PostgreSQL doesn't cast
    # between int4range, int8range and numrange.
    _RANGE_DUMPERS = [
        (NumericRange, pg_range.RangeDumper),
        (DateRange, pg_range.DateRangeDumper),
        (DateTimeRange, pg_range.TimestampRangeDumper),
        (DateTimeTZRange, pg_range.TimestamptzRangeDumper),
    ]

    class ArrayLiteralDumper(ListDumper):
        """
        Write lists into queries as ARRAY[...] constructors, as psycopg2 does,
        rather than as '{...}'::type[] literals: PostgreSQL then types them as
        it types their elements (a list of small ints is an integer[], not a
        smallint[] that integer[] columns can't be compared with), and lists
        that mix ints and floats are numeric[] instead of an error.
        """

        def get_key(self, obj, format):
            try:
                return super().get_key(obj, format)
            except Database.DataError:  # Mixed types: quote() copes.
                return self.cls

        def upgrade(self, obj, format):
            try:
                return super().upgrade(obj, format)
            except Database.DataError:
                return self

        def quote(self, obj):
            if not obj:
                return b"'{}'"
            return b"ARRAY[%s]" % b",".join(self._tx.as_literal(i) for i in obj)

    @lru_cache
    def _timestamptz_loader(tzinfo):
        """
        A timestamptz loader that returns datetimes with the given tzinfo, or
        naive ones (wall time in the connection's time zone) if it is None,
        as psycopg2's cursor tzinfo_factory did.
        """

        def load(self, data):
            return TimestamptzLoader.load(self, data).replace(tzinfo=tzinfo)

        return type("TimestamptzLoader", (TimestamptzLoader,), {"load": load})

    def set_cursor_tzinfo(cursor, tzinfo):
        """
        Make the cursor read timestamptz with tzinfo (see configure_adapters)
        if the connection's loader doesn't already.
        """
        loader = _timestamptz_loader(tzinfo)
        if cursor.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT) is not loader:
            cursor.adapters.register_loader(_TIMESTAMPTZ_OID, loader)

    class CursorMixin:
        def callproc(self, name, args=None):
            """psycopg 3 has no callproc(); run the function as psycopg2 does."""
            args = list(args or ())
            placeholders = ", ".join(["%s"] * len(args))
            self.execute("SELECT * FROM %s(%s)" % (name, placeholders), args)
            return args

    class Cursor(CursorMixin, ClientCursor):
        """
        A cursor that merges parameters into the query on the client, as
        psycopg2 does: the ORM's SQL relies on it (parameters in DDL, in
        SELECT lists and GROUP BY without a type to infer from).
        """

    class ServerSideCursor(CursorMixin, ClientCursorMixin, ServerCursor):
        """A named cursor (for iterator()), also binding on the client."""

    def configure_adapters(connection, tzinfo):
        """
        Register on a psycopg 3 connection the loaders and dumpers that make
        it return what Django expects, which is what psycopg2 returns.
        """
        adapters = connection.adapters
        adapters.register_loader(_TIMESTAMPTZ_OID, _timestamptz_loader(tzinfo))
        # JSONField decodes the text itself, with the field's decoder.
        adapters.register_loader("jsonb", TextLoader)
        # GenericIPAddressField expects strings, not ipaddress objects.
        adapters.register_loader("inet", TextLoader)
        adapters.register_loader("cidr", TextLoader)
        for name, loader in _RANGE_LOADERS:
            adapters.register_loader(name, loader)
        for cls, dumper in _RANGE_DUMPERS:
            adapters.register_dumper(cls, dumper)
        adapters.register_dumper(list, ArrayLiteralDumper)

    # Like psycopg2's, the registrations below are global as well as on the
    # connection: connections opened while django.contrib.postgres isn't
    # installed (e.g. between tests that install it) must read hstore too.
    def register_hstore(connection, oids, array_oids):
        for oid, array_oid in zip(oids, array_oids):
            info = Database.types.TypeInfo("hstore", oid, array_oid)
            _register_hstore(info, connection)
            _register_hstore(info)

    def register_citext_arrays(connection, array_oids):
        for array_oid in array_oids:
            # Loading citext itself needs no adapter: unknown types are read
            # as text. Only the array type has to be known.
            info = Database.types.TypeInfo("citext", 0, array_oid)
            info.register(connection)
            info.register()

    def quote_value(value, connection=None):
        """Return the SQL literal for value, e.g. for DDL."""
        return sql.quote(value, connection)

    def set_isolation_level(connection, level):
        connection.isolation_level = level

    def set_client_encoding_utf8(connection):
        if connection.info.encoding != "utf-8":
            connection.execute("SET client_encoding TO 'UTF8'")

    def server_version(connection):
        return connection.info.server_version

    def parameter_status(connection, name):
        return connection.info.parameter_status(name)

    def error_sqlstate(exc):
        return getattr(exc, "sqlstate", None)

    DUPLICATE_DATABASE = errors.DuplicateDatabase.sqlstate

else:
    import psycopg2.extensions
    import psycopg2.extras
    from psycopg2 import errorcodes
    from psycopg2.extras import (  # NOQA
        DateRange,
        DateTimeRange,
        DateTimeTZRange,
        Inet,
        NumericRange,
        Range,
    )

    from django.utils.safestring import SafeString

    # psycopg2's adapters are global, so register these once, on import:
    # SafeString must be quoted like str, uuid columns read as UUID, and
    # inet[] (oid 1041) as a list of strings rather than of Inet objects.
    psycopg2.extensions.register_adapter(SafeString, psycopg2.extensions.QuotedString)
    psycopg2.extras.register_uuid()
    psycopg2.extensions.register_type(
        psycopg2.extensions.new_array_type(
            (1041,), "INETARRAY", psycopg2.extensions.UNICODE
        )
    )

    class IsolationLevel(IntEnum):
        # psycopg2's values, which differ from psycopg 3's.
        READ_UNCOMMITTED = psycopg2.extensions.ISOLATION_LEVEL_READ_UNCOMMITTED
        READ_COMMITTED = psycopg2.extensions.ISOLATION_LEVEL_READ_COMMITTED
        REPEATABLE_READ = psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ
        SERIALIZABLE = psycopg2.extensions.ISOLATION_LEVEL_SERIALIZABLE

    def configure_adapters(connection, tzinfo):
        # Return jsonb as text: JSONField decodes it with the field's decoder,
        # which saves a round trip through json.loads() and json.dumps().
        # Time zones are handled by the cursors' tzinfo_factory.
        psycopg2.extras.register_default_jsonb(
            conn_or_curs=connection, loads=lambda x: x
        )

    def register_hstore(connection, oids, array_oids):
        psycopg2.extras.register_hstore(
            connection, globally=True, oid=oids, array_oid=array_oids
        )

    def register_citext_arrays(connection, array_oids):
        array_type = psycopg2.extensions.new_array_type(
            array_oids, "citext[]", psycopg2.STRING
        )
        psycopg2.extensions.register_type(array_type, None)

    def quote_value(value, connection=None):
        """Return the SQL literal for value, e.g. for DDL."""
        adapted = psycopg2.extensions.adapt(value)
        if hasattr(adapted, "encoding"):
            adapted.encoding = "utf8"
        # getquoted() returns a quoted bytestring of the adapted value.
        return adapted.getquoted().decode()

    def set_isolation_level(connection, level):
        connection.set_session(isolation_level=level)

    def set_client_encoding_utf8(connection):
        connection.set_client_encoding("UTF8")

    def server_version(connection):
        return connection.server_version

    def parameter_status(connection, name):
        return connection.get_parameter_status(name)

    def error_sqlstate(exc):
        return getattr(exc, "pgcode", None)

    DUPLICATE_DATABASE = errorcodes.DUPLICATE_DATABASE


RANGE_TYPES = (DateRange, DateTimeRange, DateTimeTZRange, NumericRange)
