# Settings for running Django's test suite against PostgreSQL with native
# asynchronous execution on (psycopg 3, OPTIONS["async_pool"]):
#
#     python -m forktool test --database postgresql --driver psycopg --native
#
# The async ORM then runs on the event loop, on connections from a pool per
# alias; inside TestCase it uses the test's connections (see the async queries
# topic). The server settings are those of test_postgresql.py.
from test_postgresql import DATABASES as SERVER_DATABASES
from test_postgresql import *  # NOQA

# Copies: test_postgresql's own dicts must stay as they are, since tests that
# discover modules may import this one in a run that uses test_postgresql.
# Small pools: each test's event loop opens its own, and the parallel runner
# has one process per core.
DATABASES = {
    alias: {
        **settings_dict,
        "OPTIONS": {
            **settings_dict.get("OPTIONS", {}),
            "async_pool": {"min_size": 1, "max_size": 8},
        },
    }
    for alias, settings_dict in SERVER_DATABASES.items()
}
