# Settings for running Django's test suite against MariaDB (or MySQL) with
# mysqlclient:
#
#     python -m forktool test --database mysql [app ...]
#
# or, inside the built tree, ./runtests.py --settings=test_mysql.
# The server defaults match a local MariaDB whose root user has no password;
# MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD and MYSQL_DATABASE
# override them. The test runner creates (and drops) its own databases,
# test_<name> and, with --parallel, numbered clones made with mysqldump.
import os


def _database(name):
    return {
        "ENGINE": "django.db.backends.mysql",
        "NAME": name,
        "HOST": os.environ.get("MYSQL_HOST", "127.0.0.1"),
        "PORT": os.environ.get("MYSQL_PORT", "3306"),
        "USER": os.environ.get("MYSQL_USER", "root"),
        "PASSWORD": os.environ.get("MYSQL_PASSWORD", ""),
        # utf8mb4 for the connection and the test databases: the server's
        # default may be latin1, and MariaDB's JSON functions compare keys and
        # values correctly only outside utf8mb3 (several JSONField lookups
        # return wrong rows on a utf8mb3 database).
        "OPTIONS": {"charset": "utf8mb4"},
        "TEST": {"CHARSET": "utf8mb4"},
    }


_name = os.environ.get("MYSQL_DATABASE", "asyncorm")

# The suite needs two aliases: "other" is the second database of the
# multiple-database tests, so it must be a distinct database on the server.
DATABASES = {
    "default": _database(_name),
    "other": _database(_name + "_other"),
}

# Some tests (admin_scripts, utils_tests.test_crypto) expect this exact key.
SECRET_KEY = "django_tests_secret_key"

# The cheapest hasher keeps the many user-creating tests fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

USE_TZ = False
