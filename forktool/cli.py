"""Command line: python -m forktool {tree,check,edit,export,test,docs}."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forktool.config import find_repo
from forktool.databases import DATABASES
from forktool.docs import DEFAULT_BUILDER
from forktool.errors import ForkError


def _tree(args: argparse.Namespace) -> int:
    from forktool.tree import build

    dest = build(find_repo(), Path(args.dest))
    print(dest)
    return 0


def _check(args: argparse.Namespace) -> int:
    from forktool.check import run_checks
    from forktool.patching import read_series

    repo = find_repo()
    problems = run_checks(repo, quiet=False)
    for problem in problems:
        print(f"check: {problem}")
    if problems:
        print(f"check: {len(problems)} problem(s) found")
        return 1
    count = len(read_series(repo.series_file))
    print(f"check: ok ({count} patches apply cleanly, no collisions, nothing vendored)")
    return 0


def _edit(args: argparse.Namespace) -> int:
    from forktool.gitwork import edit

    edit(find_repo(), Path(args.dir))
    return 0


def _export(args: argparse.Namespace) -> int:
    from forktool.gitwork import export

    export(find_repo(), Path(args.dir))
    return 0


def _test(args: argparse.Namespace) -> int:
    from forktool.testing import run_suite

    return run_suite(
        find_repo(),
        args.runtests_args,
        database=args.database,
        driver=args.driver,
        python=args.python,
        native=args.native,
        minimal=args.minimal,
        pgbouncer=args.pgbouncer,
    )


def _docs(args: argparse.Namespace) -> int:
    from forktool.docs import build_docs

    offline = True if args.offline else None
    build_docs(find_repo(), builder=args.builder, offline=offline)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m forktool",
        description="Build, check and test the fork from upstream.toml, "
        "patches/ and the overlay folders.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("tree", help="write the patched source tree to DEST")
    s.add_argument("dest", metavar="DEST")
    s.set_defaults(func=_tree)

    s = sub.add_parser(
        "check", help="series, clean application, collisions and vendoring"
    )
    s.set_defaults(func=_check)

    s = sub.add_parser("edit", help="make a git work tree with one commit per patch")
    s.add_argument("dir", metavar="DIR")
    s.set_defaults(func=_edit)

    s = sub.add_parser("export", help="rewrite patches/ and the overlay from DIR")
    s.add_argument("dir", metavar="DIR")
    s.set_defaults(func=_export)

    s = sub.add_parser(
        "test",
        help="run Django's tests/runtests.py on the patched, installed tree",
        description="Any further arguments go to runtests.py unchanged.",
    )
    s.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter for the test venv (default: this one)",
    )
    s.add_argument(
        "--database",
        default="sqlite",
        choices=sorted(DATABASES),
        help="server to run the suite against (default: sqlite); postgresql "
        "and mysql use tests/test_<database>.py, which reads POSTGRES_* or "
        "MYSQL_* environment variables",
    )
    s.add_argument(
        "--driver",
        help="postgresql only: psycopg2 (the default) or psycopg (psycopg 3, "
        "in a venv of its own, build/venv-pyX.Y-psycopg)",
    )
    s.add_argument(
        "--native",
        action="store_true",
        help="with --database postgresql --driver psycopg: native asynchronous "
        "execution on (tests/test_postgresql_native.py, OPTIONS['async_pool'])",
    )
    s.add_argument(
        "--pgbouncer",
        action="store_true",
        help="with --database postgresql --driver psycopg --native: through the "
        "PgBouncer (transaction pooling) that .ci/pgbouncer starts on port 6432 "
        "(tests/test_postgresql_pgbouncer.py), with --keepdb --parallel 1 and "
        "the test databases made and dropped on the server directly",
    )
    s.add_argument(
        "--minimal",
        action="store_true",
        help="run in a venv with only Django's required dependencies "
        "(requirements/minimal.txt) and the driver, build/venv-pyX.Y-minimal, "
        "so that tests of optional packages (Pillow, numpy, ...) are skipped",
    )
    s.set_defaults(func=_test)

    s = sub.add_parser("docs", help="build the patched docs with the pinned Sphinx")
    s.add_argument(
        "--builder",
        default=DEFAULT_BUILDER,
        help=f"Sphinx builder (default: {DEFAULT_BUILDER}, Django's HTML builder, "
        "which renders the versionadded/versionchanged labels and has them checked)",
    )
    s.add_argument(
        "--offline", action="store_true", help="switch intersphinx off even if online"
    )
    s.set_defaults(func=_docs)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args, extra = p.parse_known_args(argv)
    if args.command == "test":
        args.runtests_args = extra
    elif extra:
        p.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args)
    except ForkError as exc:
        print(f"forktool: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("forktool: interrupted", file=sys.stderr)
        return 130
