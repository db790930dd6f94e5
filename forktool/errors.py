class ForkError(Exception):
    """An error the user can act on; printed as one line, without a traceback."""
