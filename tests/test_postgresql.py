# Settings for running Django's test suite against PostgreSQL, on psycopg 3 or
# psycopg2 (the backend uses psycopg 3 whenever it is installed):
#
#     python -m forktool test --database postgresql --driver psycopg [app ...]
#
# or, inside the built tree, ./runtests.py --settings=test_postgresql.
# The server defaults match a local PostgreSQL with trust authentication;
# POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD and
# POSTGRES_DB override them.
from server_settings import *  # NOQA
from server_settings import server_databases

DATABASES = server_databases(
    "django.db.backends.postgresql",
    prefix="POSTGRES",
    name_var="POSTGRES_DB",
    port=5432,
    user="postgres",
)
