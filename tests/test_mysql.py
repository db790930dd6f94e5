# Settings for running Django's test suite against MariaDB (or MySQL) with
# mysqlclient:
#
#     python -m forktool test --database mysql [app ...]
#
# or, inside the built tree, ./runtests.py --settings=test_mysql.
# The server defaults match a local MariaDB whose root user has no password;
# MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD and MYSQL_DATABASE
# override them.
from server_settings import *  # NOQA
from server_settings import server_databases

DATABASES = server_databases(
    "django.db.backends.mysql",
    prefix="MYSQL",
    name_var="MYSQL_DATABASE",
    port=3306,
    user="root",
    # utf8mb4 for the connection and the test databases: the server's default
    # may be latin1, and MariaDB's JSON functions compare keys and values
    # correctly only outside utf8mb3 (several JSONField lookups return wrong
    # rows on a utf8mb3 database).
    OPTIONS={"charset": "utf8mb4"},
    TEST={"CHARSET": "utf8mb4"},
)
