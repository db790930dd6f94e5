# What the settings modules for database servers (test_postgresql.py,
# test_mysql.py) share: the two aliases Django's suite needs, each read from
# the environment, and the settings every test settings module sets.
import os


def server_databases(engine, prefix, name_var, port, user, **extra):
    """
    DATABASES for a server whose address and credentials come from
    <prefix>_HOST, <prefix>_PORT, <prefix>_USER and <prefix>_PASSWORD, and
    whose database name comes from name_var (default "asyncorm").

    "other" is the second database of the multiple-database tests, so it must
    be a distinct database on the server. The test runner creates and drops
    test_<name> for each (and numbered clones with --parallel).
    """
    name = os.environ.get(name_var, "asyncorm")

    def alias(db_name):
        return {
            "ENGINE": engine,
            "NAME": db_name,
            "HOST": os.environ.get(f"{prefix}_HOST", "127.0.0.1"),
            "PORT": os.environ.get(f"{prefix}_PORT", str(port)),
            "USER": os.environ.get(f"{prefix}_USER", user),
            "PASSWORD": os.environ.get(f"{prefix}_PASSWORD", ""),
            **extra,
        }

    return {"default": alias(name), "other": alias(name + "_other")}


# Some tests (admin_scripts, utils_tests.test_crypto) expect this exact key.
SECRET_KEY = "django_tests_secret_key"

# The cheapest hasher keeps the many user-creating tests fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

USE_TZ = False
