# Settings for running Django's tests with native asynchronous execution on
# (psycopg 3, OPTIONS["async_pool"]) through PgBouncer in transaction pooling
# mode, which .ci/pgbouncer starts on 127.0.0.1:6432 (PGBOUNCER_HOST and
# PGBOUNCER_PORT override that):
#
#     .ci/pgbouncer start
#     python -m forktool test --database postgresql --driver psycopg --native \
#         --pgbouncer async_native basic
#
# In transaction mode a client's server connection can change between
# transactions, so nothing may outlive one on the server:
#
# - "prepare_threshold": None: psycopg 3 never prepares statements (a prepared
#   statement stays on the server connection that prepared it);
# - DISABLE_SERVER_SIDE_CURSORS: iterator() and aiterator() don't DECLARE a
#   cursor that later fetches would look for on another server connection.
#
# Both apply to both aliases, on the synchronous connections and on the pools.
#
# Creating and dropping the test databases can't go through PgBouncer: it keeps
# idle server connections to a database after its clients leave, and
# PostgreSQL refuses to drop a database, or to copy it for --parallel, while
# any session is connected to it. So forktool's --pgbouncer creates them
# empty, directly on the server (TEST_SERVER below), before the run and drops
# them there afterwards (WITH (FORCE), which ends PgBouncer's sessions), and
# runs the suite with --keepdb (Django migrates into the databases it finds and
# leaves them in place) and --parallel 1 (no clones).
import os

from test_postgresql import DATABASES as SERVER_DATABASES
from test_postgresql_native import DATABASES as NATIVE_DATABASES
from test_postgresql_native import *  # NOQA

# Where forktool creates and drops the test databases: the server itself.
TEST_SERVER = {
    key: SERVER_DATABASES["default"][key]
    for key in ("HOST", "PORT", "USER", "PASSWORD")
}


def _through_pgbouncer(settings_dict):
    return {
        **settings_dict,
        "HOST": os.environ.get("PGBOUNCER_HOST", "127.0.0.1"),
        "PORT": os.environ.get("PGBOUNCER_PORT", "6432"),
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "OPTIONS": {**settings_dict["OPTIONS"], "prepare_threshold": None},
        # Names of their own: forktool drops these with FORCE, which must
        # never end a run that uses test_postgresql's test databases.
        "TEST": {"NAME": "test_%s_pgbouncer" % settings_dict["NAME"]},
    }


DATABASES = {
    alias: _through_pgbouncer(settings_dict)
    for alias, settings_dict in NATIVE_DATABASES.items()
}
