"""
The checks of the connection pool options in DATABASES: OPTIONS["pool"] (the
PostgreSQL backend's pool of synchronous connections) and OPTIONS["async_pool"]
(native asynchronous execution, see django.db.native). Both take True or a
dict of keyword arguments for a psycopg_pool pool, and refuse the same values
with the same messages.
"""

from django.core.exceptions import ImproperlyConfigured

# Pool arguments that Django derives from the database's settings.
RESERVED_ARGUMENTS = ("conninfo", "kwargs", "configure", "open")
# The name of an alias's pools, unless the option names them.
DEFAULT_POOL_NAME = "django-%s"


def check_pool_option(settings_dict, alias, option, pool_class="the connection pool"):
    """
    Return a copy of the keyword arguments that OPTIONS[option] of alias gives
    its pool (True gives none). Raise ImproperlyConfigured unless it's True or
    a dict that leaves Django's own arguments alone and asks for sizes a pool
    can have.
    """
    value = settings_dict["OPTIONS"].get(option)
    if value is True:
        return {}
    if not isinstance(value, dict):
        raise ImproperlyConfigured(
            "OPTIONS['%s'] of database '%s' must be True or a dict of keyword "
            "arguments for %s, not %r." % (option, alias, pool_class, value)
        )
    return check_pool_arguments(dict(value), alias, option)


def check_pool_arguments(pool_kwargs, alias, option):
    """
    Refuse the arguments that Django sets itself, and pool sizes that no pool
    can have: min_size must be an integer of at least 0, max_size one of at
    least 1 and not below min_size. A max_size of None (or none) means
    min_size, as in psycopg_pool. Return pool_kwargs, without a max_size of
    None.
    """
    for name in RESERVED_ARGUMENTS:
        if name in pool_kwargs:
            raise ImproperlyConfigured(
                "OPTIONS['%s'] of database '%s' can't set %r: Django sets it "
                "from the database's settings." % (option, alias, name)
            )
    if pool_kwargs.get("max_size", 0) is None:
        del pool_kwargs["max_size"]
    for name, least in (("min_size", 0), ("max_size", 1)):
        if name not in pool_kwargs:
            continue
        size = pool_kwargs[name]
        if not isinstance(size, int) or isinstance(size, bool) or size < least:
            raise ImproperlyConfigured(
                "OPTIONS['%s']['%s'] of database '%s' must be an integer of at "
                "least %d, not %r." % (option, name, alias, least, size)
            )
    min_size = pool_kwargs.get("min_size")
    max_size = pool_kwargs.get("max_size")
    if max_size is None:
        if min_size == 0:
            raise ImproperlyConfigured(
                "OPTIONS['%s'] of database '%s' sets 'min_size' to 0: it also "
                "needs a 'max_size' of at least 1 (max_size defaults to "
                "min_size)." % (option, alias)
            )
    elif min_size is not None and min_size > max_size:
        raise ImproperlyConfigured(
            "OPTIONS['%s'] of database '%s' sets 'min_size' (%d) above "
            "'max_size' (%d)." % (option, alias, min_size, max_size)
        )
    return pool_kwargs
