"""Benchmarks of the asynchronous ORM interface: `python3 -m benchmarks`.

The driver (this package, standard library only) builds one venv per Django it
compares, runs each contender in a subprocess of its venv (``worker.py``), and
prints the medians and ratios it reports back. See benchmarks/RESULTS.md.
"""
