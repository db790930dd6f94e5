# Settings for running Django's test suite against PostgreSQL with both
# connection pools on (psycopg 3, psycopg_pool and greenlet): OPTIONS["pool"]
# for synchronous code and OPTIONS["async_pool"] for native asynchronous
# execution, on both aliases. Inside the built tree:
#
#     ./runtests.py --settings=test_postgresql_pool [app ...]
#
# The server settings are those of test_postgresql.py.
from test_postgresql_native import DATABASES as NATIVE_DATABASES
from test_postgresql_native import *  # NOQA

# Small pools: the parallel runner has one process per core, each with a pool
# per alias.
DATABASES = {
    alias: {
        **settings_dict,
        "OPTIONS": {
            **settings_dict["OPTIONS"],
            "pool": {"min_size": 1, "max_size": 4},
        },
    }
    for alias, settings_dict in NATIVE_DATABASES.items()
}
