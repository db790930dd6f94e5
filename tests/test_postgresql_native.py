# Settings for running Django's test suite against PostgreSQL with native
# asynchronous execution on (psycopg 3, OPTIONS["async_pool"]):
#
#     python -m forktool test --database postgresql --driver psycopg --native
#
# The async ORM then runs on the event loop, on connections from a pool per
# alias; inside TestCase it uses the test's connection (see the async queries
# topic). The server settings are those of test_postgresql.py.
from test_postgresql import *  # NOQA
from test_postgresql import DATABASES

for _alias in DATABASES.values():
    # Small pools: each test's event loop opens its own, and the parallel
    # runner has one process per core.
    _alias["OPTIONS"] = {"async_pool": {"min_size": 1, "max_size": 8}}
