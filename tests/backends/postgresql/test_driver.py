"""
The PostgreSQL backend behaves the same on psycopg 3 and on psycopg2: what
each query returns, how parameters are sent, OPTIONS, and errors.
"""

import datetime
import unittest
import uuid
from decimal import Decimal
from io import StringIO
from unittest import mock

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone

try:
    from django.db.backends.postgresql import psycopg_any
except ImportError:
    psycopg_any = None


def new_connection(**options):
    """A separate connection to the test database, with extra OPTIONS."""
    conn = connection.copy()
    conn.settings_dict["OPTIONS"] = {**conn.settings_dict["OPTIONS"], **options}
    return conn


@unittest.skipUnless(connection.vendor == "postgresql", "PostgreSQL tests")
class DriverTests(TestCase):
    def query(self, sql, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    def test_driver_is_the_installed_one(self):
        # psycopg 3 wins when both are installed.
        try:
            import psycopg  # NOQA
        except ImportError:
            expected = "psycopg2"
        else:
            expected = "psycopg"
        self.assertEqual(connection.Database.__name__, expected)
        self.assertIs(psycopg_any.is_psycopg3, expected == "psycopg")

    def test_driver_version_check(self):
        minimum = (
            psycopg_any.MIN_PSYCOPG3_VERSION
            if psycopg_any.is_psycopg3
            else psycopg_any.MIN_PSYCOPG2_VERSION
        )
        self.assertIsNone(psycopg_any.check_driver_version())
        older = (*minimum[:-1], minimum[-1] - 1)
        with mock.patch.object(psycopg_any, "driver_version", older):
            message = psycopg_any.check_driver_version()
        self.assertEqual(
            message,
            "%s version %s or newer is required; you have %s"
            % (
                psycopg_any.driver_name,
                ".".join(map(str, minimum)),
                connection.Database.__version__,
            ),
        )

    def test_pg_version(self):
        (version,) = self.query("SHOW server_version_num")
        self.assertEqual(connection.pg_version, int(version))

    def test_scalar_types_round_trip(self):
        values = [
            "it's",
            1,
            -(2**40),
            Decimal("1.10"),
            True,
            None,
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
            datetime.date(2020, 2, 29),
            datetime.time(12, 30, 1, 5),
            datetime.timedelta(days=1, microseconds=7),
            datetime.datetime(2020, 1, 1, 12, 30),
        ]
        for value in values:
            with self.subTest(value=value):
                (result,) = self.query("SELECT %s", [value])
                self.assertEqual(result, value)
                self.assertIs(type(result), type(value))

    def test_bytea_round_trip(self):
        (result,) = self.query("SELECT %s", [b"\x00\xffdata"])
        self.assertEqual(bytes(result), b"\x00\xffdata")

    def test_percent_signs(self):
        self.assertEqual(self.query("SELECT '100%'"), ("100%",))
        self.assertEqual(self.query("SELECT '100%%', %s", ["%s"]), ("100%", "%s"))

    def test_named_parameters(self):
        row = self.query("SELECT %(a)s, %(b)s, %(a)s", {"a": 1, "b": "x"})
        self.assertEqual(row, (1, "x", 1))

    def test_lists_are_typed_as_their_elements(self):
        # Small ints make an integer[], which compares with integer[] columns.
        self.assertEqual(
            self.query("SELECT ARRAY[1, 2]::int[] = %s", [[1, 2]]), (True,)
        )
        self.assertEqual(self.query("SELECT %s", [[1, 2.5]]), ([1, 2.5],))
        self.assertEqual(
            self.query("SELECT %s", [[[1, None], [3, 4]]]), ([[1, None], [3, 4]],)
        )
        self.assertEqual(self.query("SELECT %s::text[]", [[]]), ([],))
        self.assertEqual(self.query("SELECT %s", [["a", "b'c"]]), (["a", "b'c"],))

    def test_json_types(self):
        # jsonb comes back as text, for JSONField to decode; json is decoded.
        row = self.query("""SELECT '{"a": [1, 2]}'::jsonb, '{"a": 1}'::json""")
        self.assertEqual(row, ('{"a": [1, 2]}', {"a": 1}))

    def test_inet_types(self):
        row = self.query(
            "SELECT %s::inet, '10.0.0.0/8'::cidr, ARRAY['::1'::inet]",
            [psycopg_any.Inet("192.168.0.1")],
        )
        self.assertEqual(row, ("192.168.0.1", "10.0.0.0/8", ["::1"]))

    def test_ranges_are_read_as_the_fields_range_types(self):
        row = self.query(
            "SELECT int4range(1, 10), int8range(1, 10), numrange(1.5, 2), "
            "daterange('2020-01-01', NULL), tsrange('2020-01-01', NULL), "
            "'empty'::int4range"
        )
        expected = [
            psycopg_any.NumericRange(1, 10),
            psycopg_any.NumericRange(1, 10),
            psycopg_any.NumericRange(Decimal("1.5"), Decimal("2")),
            psycopg_any.DateRange(datetime.date(2020, 1, 1), None),
            psycopg_any.DateTimeRange(datetime.datetime(2020, 1, 1), None),
            psycopg_any.NumericRange(empty=True),
        ]
        for value, expected_value in zip(row, expected):
            with self.subTest(expected=expected_value):
                self.assertEqual(value, expected_value)
                self.assertIsInstance(value, type(expected_value))

    def test_ranges_are_sent_as_their_column_types(self):
        # A NumericRange fits int4range, int8range and numrange columns alike,
        # and a DateTimeTZRange of naive datetimes is still a tstzrange.
        row = self.query(
            "SELECT %s::int4range, %s::int8range, %s::numrange, "
            "int4range(1, 5) @> %s, pg_typeof(%s)::text",
            [
                psycopg_any.NumericRange(1, 5),
                psycopg_any.NumericRange(1, 5),
                psycopg_any.NumericRange(1, 5),
                psycopg_any.NumericRange(2, 3),
                psycopg_any.DateTimeTZRange(datetime.datetime(2020, 1, 1), None),
            ],
        )
        self.assertEqual(row[:4], (*[psycopg_any.NumericRange(1, 5)] * 3, True))
        self.assertEqual(row[4], "tstzrange")

    def test_unique_violation_is_integrity_error(self):
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE driver_unique (x int UNIQUE)")
            cursor.execute("INSERT INTO driver_unique VALUES (1)")
            msg = "duplicate key value violates unique constraint"
            with self.assertRaisesMessage(IntegrityError, msg) as cm:
                cursor.execute("INSERT INTO driver_unique VALUES (%s)", [1])
        # Django's exception wraps the driver's, which keeps the SQLSTATE.
        self.assertIsInstance(cm.exception.__cause__, connection.Database.Error)
        self.assertEqual(psycopg_any.error_sqlstate(cm.exception.__cause__), "23505")

    def test_callproc(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION pg_temp.driver_double(x int) RETURNS int "
                "AS $$ SELECT 2 * x $$ LANGUAGE sql"
            )
            cursor.callproc("pg_temp.driver_double", [21])
            self.assertEqual(cursor.fetchone(), (42,))

    def test_last_executed_query(self):
        with connection.cursor() as cursor:
            sql, params = "SELECT %s, %s", ["it's", 2]
            cursor.execute(sql, params)
            query = connection.ops.last_executed_query(cursor.cursor, sql, params)
            self.assertEqual(query, "SELECT 'it''s', 2")
            # Still readable afterwards.
            self.assertEqual(cursor.fetchone(), ("it's", 2))

    def test_server_side_cursor_binds_on_the_client(self):
        # A parameter whose type the server can't infer: server-side binding
        # would fail with "could not determine data type of parameter $1".
        with connection.chunked_cursor() as cursor:
            cursor.execute(
                "SELECT %s, %s || 'b' FROM generate_series(1, 3)", ["x", "a"]
            )
            self.assertEqual(cursor.fetchmany(2), [("x", "ab"), ("x", "ab")])

    def test_quote_value(self):
        with connection.schema_editor() as editor:
            self.assertEqual(editor.quote_value("it's 100%"), "'it''s 100%%'")
            self.assertEqual(editor.quote_value(None), "NULL")
            self.assertEqual(editor.quote_value(True), "true")
            self.assertEqual(editor.quote_value(Decimal("1.5")), "1.5")

    @unittest.skipUnless(
        psycopg_any and psycopg_any.is_psycopg3, "psycopg 3's COPY API"
    )
    @override_settings(DEBUG=True)
    def test_copy_is_logged(self):
        statement = "COPY (SELECT 1, 'a') TO STDOUT"
        out = StringIO()
        with connection.cursor() as cursor:
            with cursor.copy(statement) as copy:
                for data in copy:
                    out.write(bytes(data).decode())
        self.assertEqual(out.getvalue(), "1\ta\n")
        self.assertEqual(connection.queries[-1]["sql"], statement)


@unittest.skipUnless(connection.vendor == "postgresql", "PostgreSQL tests")
class TimeZoneTests(TestCase):
    """The time zone settings apply to connections opened under them."""

    def fetch(self, sql, params=None):
        conn = new_connection()
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()[0]
        finally:
            conn.close()

    @override_settings(USE_TZ=True)
    def test_aware_in_utc_when_use_tz(self):
        value = self.fetch("SELECT '2020-06-01 12:00:00+02'::timestamptz")
        self.assertEqual(value, datetime.datetime(2020, 6, 1, 10, tzinfo=timezone.utc))
        self.assertIs(value.tzinfo, timezone.utc)

    @override_settings(USE_TZ=False, TIME_ZONE="Asia/Tokyo")
    def test_naive_local_time_without_use_tz(self):
        value = self.fetch("SELECT '2020-06-01 12:00:00+02'::timestamptz")
        self.assertEqual(value, datetime.datetime(2020, 6, 1, 19))
        self.assertIsNone(value.tzinfo)

    @override_settings(USE_TZ=False, TIME_ZONE="Asia/Tokyo")
    def test_tstzrange_bounds_follow_the_same_rule(self):
        value = self.fetch("SELECT tstzrange('2020-06-01 12:00:00+02', NULL)")
        self.assertEqual(value.lower, datetime.datetime(2020, 6, 1, 19))
        self.assertIsInstance(value, psycopg_any.DateTimeTZRange)

    @override_settings(USE_TZ=False, TIME_ZONE="Asia/Tokyo")
    def test_naive_datetime_parameter_is_local_time(self):
        value = self.fetch(
            "SELECT %s::timestamptz = '2020-06-01 10:00:00+00'",
            [datetime.datetime(2020, 6, 1, 19)],
        )
        self.assertIs(value, True)


@unittest.skipUnless(connection.vendor == "postgresql", "PostgreSQL tests")
class OptionsTests(TestCase):
    def test_isolation_level(self):
        level = psycopg_any.IsolationLevel.REPEATABLE_READ
        conn = new_connection(isolation_level=level)
        try:
            conn.set_autocommit(False)
            with conn.cursor() as cursor:
                cursor.execute("SHOW transaction_isolation")
                self.assertEqual(cursor.fetchone(), ("repeatable read",))
            self.assertEqual(conn.isolation_level, level)
        finally:
            conn.close()

    def test_invalid_isolation_level(self):
        conn = new_connection(isolation_level=-1)
        msg = (
            "Invalid transaction isolation level -1 specified. Use one of the "
            "IsolationLevel values from django.db.backends.postgresql.psycopg_any."
        )
        try:
            with self.assertRaisesMessage(ImproperlyConfigured, msg):
                conn.ensure_connection()
        finally:
            conn.close()

    def test_django_options_are_not_libpq_parameters(self):
        conn = new_connection(isolation_level=1, assume_role="someone")
        params = conn.get_connection_params()
        self.assertNotIn("isolation_level", params)
        self.assertNotIn("assume_role", params)

    def test_server_side_binding(self):
        conn = new_connection(server_side_binding=False)
        self.assertNotIn("server_side_binding", conn.get_connection_params())
        conn = new_connection(server_side_binding=True)
        msg = "OPTIONS['server_side_binding'] isn't supported"
        with self.assertRaisesMessage(ImproperlyConfigured, msg):
            conn.get_connection_params()

    def test_libpq_options_are_passed_on(self):
        conn = new_connection(options="-c search_path=driver_path,public")
        try:
            with conn.cursor() as cursor:
                cursor.execute("SHOW search_path")
                self.assertEqual(cursor.fetchone(), ("driver_path,public",))
        finally:
            conn.close()


@unittest.skipUnless(connection.vendor == "postgresql", "PostgreSQL tests")
class SetupFunctionTests(TestCase):
    """
    The connection setup works on a bare driver connection, as a connection
    pool's configure callback would use it, without a DatabaseWrapper.
    """

    def test_setup_of_a_driver_connection(self):
        from django.db.backends.postgresql import base

        params = connection.get_connection_params()
        raw = connection.Database.connect(**params)
        try:
            raw.autocommit = True
            psycopg_any.configure_adapters(raw, timezone.utc)
            self.assertIs(base.configure_timezone(raw, "UTC"), True)
            self.assertIs(base.configure_timezone(raw, "UTC"), False)
            self.assertIs(base.configure_role(raw, None), False)
            self.assertIs(base.configure_role(raw, "pg_monitor"), True)
            raw.autocommit = False
            level = psycopg_any.IsolationLevel.SERIALIZABLE
            psycopg_any.set_isolation_level(raw, level)
            with raw.cursor() as cursor:
                cursor.execute(
                    "SELECT current_user, current_setting('transaction_isolation'), "
                    "'2020-01-01 00:00:00+01'::timestamptz, '{}'::jsonb"
                )
                self.assertEqual(
                    cursor.fetchone(),
                    (
                        "pg_monitor",
                        "serializable",
                        datetime.datetime(2019, 12, 31, 23, tzinfo=timezone.utc),
                        "{}",
                    ),
                )
        finally:
            raw.close()


@unittest.skipUnless(connection.vendor == "postgresql", "PostgreSQL tests")
class AssumeRoleTests(TransactionTestCase):
    # The role must be committed for the second connection to see it.
    available_apps = []
    role = "django_assumed_role"

    def setUp(self):
        with connection.cursor() as cursor:
            cursor.execute('CREATE ROLE "%s"' % self.role)
            cursor.execute('GRANT "%s" TO CURRENT_USER' % self.role)

    def tearDown(self):
        with connection.cursor() as cursor:
            cursor.execute('DROP ROLE "%s"' % self.role)

    def current_user(self, conn):
        with conn.cursor() as cursor:
            cursor.execute("SELECT current_user, session_user")
            return cursor.fetchone()

    def test_assume_role(self):
        conn = new_connection(assume_role=self.role)
        try:
            current, session = self.current_user(conn)
            self.assertEqual(current, self.role)
            self.assertNotEqual(session, self.role)
            # Still in effect in a transaction, after the setup's commit.
            conn.set_autocommit(False)
            self.assertEqual(self.current_user(conn)[0], self.role)
        finally:
            conn.close()

    def test_no_role(self):
        conn = new_connection()
        try:
            current, session = self.current_user(conn)
            self.assertEqual(current, session)
        finally:
            conn.close()
