# Settings for running Django's test suite against PostgreSQL with psycopg2:
#
#     python -m forktool test --database postgresql [app ...]
#
# or, inside the built tree, ./runtests.py --settings=test_postgresql.
# The server defaults match a local PostgreSQL with trust authentication;
# POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD and
# POSTGRES_DB override them. The test runner creates (and drops) its own
# databases, test_<name> and, with --parallel, numbered clones of them.
import os


def _database(name):
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        "USER": os.environ.get("POSTGRES_USER", "postgres"),
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
    }


_name = os.environ.get("POSTGRES_DB", "asyncorm")

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
