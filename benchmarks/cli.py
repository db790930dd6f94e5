"""The command line, and the sizes of a full run and of a --quick one."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from benchmarks.contenders import APP_CONFIGS, DATABASES, REGISTRY


@dataclass(frozen=True)
class Sizes:
    """How much work each scenario does; the worker receives these as JSON."""

    repeat: int  # samples per figure; each figure is their median
    calls: int  # calls per per-call sample (get, count, create)
    loops: int  # iterations of the 1,000 rows per per-call sample
    table_rows: int  # rows of the table that get, count and iteration read
    queries: int  # queries per concurrency sample, at every level
    levels: tuple[int, ...]  # queries in flight
    delay: float  # server-side seconds of each concurrency query (PostgreSQL)
    transactions: int  # transactions per transaction sample, at every level
    memory_rows: int  # rows read in the memory scenario
    memory_repeat: int
    app_clients: int  # concurrent HTTP connections of the whole-app scenario
    app_seconds: float  # length of each measured phase (reads, then writes)
    app_warmup: float  # seconds of unmeasured reads after the server starts
    app_repeat: int  # rounds of the whole app: a read and a write phase each
    # The whole app's (profile, uvicorn workers) configurations.
    app_configs: tuple[tuple[str, int], ...]

    def as_json(self) -> dict:
        return asdict(self)


FULL = Sizes(
    repeat=5,
    calls=100,
    loops=5,
    table_rows=1000,
    queries=200,
    levels=(1, 10, 20, 50),  # the targets of issue 24 name 10, 20 and 50
    delay=0.002,
    transactions=200,
    memory_rows=100_000,
    memory_repeat=3,
    app_clients=50,
    app_seconds=4.0,
    app_warmup=1.0,
    app_repeat=3,
    app_configs=APP_CONFIGS,
)
# Every scenario once, at sizes that only check that it still runs.
QUICK = replace(
    FULL,
    repeat=1,
    calls=5,
    loops=1,
    queries=50,
    transactions=50,
    memory_rows=2000,
    memory_repeat=1,
    app_clients=10,
    app_seconds=1.0,
    app_warmup=0.3,
    app_repeat=1,
    # Both profiles and both worker counts, in two servers instead of four.
    app_configs=(("plain", 1), ("sessions", 2)),
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 -m benchmarks",
        description="What the async ORM interface costs, and how it scales "
        "with concurrency, against sync calls, upstream Django, a raw "
        "psycopg 3 pool, django-async-backend and SQLAlchemy's asyncio ORM, "
        "with the fork on psycopg2 and on psycopg 3, through threads and "
        "natively; and a whole ASGI site under uvicorn. Contenders are "
        "measured in alternating rounds; see benchmarks/README.md.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="every scenario once, at small sizes (a smoke test, for CI); "
        "skips the contenders on Python 3.12+ (upstream, django-async-backend) "
        "unless their venv is built or they are named with --contender",
    )
    p.add_argument(
        "--database",
        action="append",
        choices=DATABASES,
        help="run on this database only (repeatable; default: all)",
    )
    p.add_argument(
        "--contender",
        action="append",
        choices=list(REGISTRY),
        help="run this contender only (repeatable; default: all)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        help="samples per figure, taken in as many alternating rounds "
        "(default: 5, --quick: 1)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=Path("build/bench"),
        help="folder for results.json, the workers' files and the SQLite "
        "database (default: build/bench)",
    )
    p.add_argument(
        "--chart",
        type=Path,
        help="where to write the concurrency chart (default: OUTPUT/concurrency.png)",
    )
    p.add_argument(
        "--upstream-python",
        help="the interpreter for the venvs that need Python 3.12+ (upstream "
        "Django's, django-async-backend's; default: the oldest Python 3.12+ "
        "found on PATH or in pyenv)",
    )
    return p


@dataclass(frozen=True)
class Options:
    quick: bool
    databases: tuple[str, ...]
    contenders: list[str] | None
    sizes: Sizes
    output: Path
    chart: Path
    upstream_python: str | None


def parse(argv: list[str] | None = None) -> Options:
    p = parser()
    args = p.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.repeat is not None:
        if args.repeat < 1:
            p.error("--repeat must be at least 1")
        sizes = replace(sizes, repeat=args.repeat)
    databases = tuple(d for d in DATABASES if d in (args.database or DATABASES))
    return Options(
        quick=args.quick,
        databases=databases,
        contenders=args.contender,
        sizes=sizes,
        output=args.output,
        chart=args.chart or args.output / "concurrency.png",
        upstream_python=args.upstream_python,
    )
