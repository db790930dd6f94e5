"""Benchmarks of the asynchronous ORM interface: `python3 -m benchmarks`.

The driver (this package, standard library and forktool only) builds a venv
per environment with forktool's venv builder, runs each contender in a
subprocess of its venv (``worker.py``), and prints the medians and ratios it
reports back. benchmarks/README.md says how it measures;
benchmarks/RESULTS.md has the recorded runs.
"""
