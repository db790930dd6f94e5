"""Command line: python -m forktool {tree,check,edit,export,renumber,test,docs}."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forktool.config import find_repo
from forktool.databases import DATABASES
from forktool.docs import DEFAULT_BUILDER
from forktool.errors import ForkError
from forktool.renumber import SECTIONS


def _tree(args: argparse.Namespace) -> int:
    from forktool.tree import build

    dest = build(find_repo(), Path(args.dest))
    print(dest)
    return 0


def _check(args: argparse.Namespace) -> int:
    from forktool.check import check_later, run_checks
    from forktool.patching import read_series

    repo = find_repo()
    problems = run_checks(repo, quiet=False)
    if args.later:
        problems += check_later(repo, quiet=False)
    for problem in problems:
        print(f"check: {problem}")
    if problems:
        print(f"check: {len(problems)} problem(s) found")
        return 1
    count = len(read_series(repo.series_file))
    print(
        f"check: ok ({count} patches apply cleanly, headers and formatting in "
        "order, no collisions, nothing vendored"
        + (", nor from the later releases)" if args.later else ")")
    )
    return 0


def _edit(args: argparse.Namespace) -> int:
    from forktool.gitwork import edit

    edit(find_repo(), Path(args.dir))
    return 0


def _export(args: argparse.Namespace) -> int:
    from forktool.gitwork import export

    export(find_repo(), Path(args.dir))
    return 0


def _renumber(args: argparse.Namespace) -> int:
    from forktool import renumber
    from forktool.patching import read_layout, read_series

    repo = find_repo()
    sections = tuple(s for s in args.sections.split(",") if s)
    work = Path(args.dir) if args.dir else None
    if args.finish:
        plan = renumber.finish(repo, work, sections)
        print(f"renumber: exported; patches/series is grouped by section "
              f"({len(plan.renames)} patches renamed)")  # fmt: skip
        _print_references(renumber.references(repo, plan))
        return 0
    plan = renumber.make_plan(read_series(repo.series_file), sections)
    if args.show_series:
        layout = read_layout(repo.series_file)
        print(renumber.render_series(layout, plan, sections), end="")
        return 0
    for line in renumber.describe(plan):
        print(f"renumber: {line}")
    if work is None:
        _print_references(renumber.references(repo, plan))
        return 0
    if args.apply:
        if renumber.apply(repo, work, plan):
            plan = renumber.finish(repo, work, sections)
            print("renumber: rebased, exported; patches/series is grouped by section")
            _print_references(renumber.references(repo, plan))
            return 0
        print(
            f"renumber: git stopped at a conflict in {work}: resolve it, "
            f"`git -C {work} add ...`, `git -C {work} rebase --continue` (repeat), "
            f"then `python -m forktool renumber --finish {work}`"
        )
        return 1
    conflicts = renumber.trial(work, plan)
    for conflict in conflicts:
        print(f"renumber: conflict: {conflict}")
    print(
        f"renumber: trial in a scratch worktree of {work}: "
        + (
            f"{len(conflicts)} patch(es) do not apply"
            if conflicts
            else "applies cleanly"
        )
    )
    _print_references(renumber.references(repo, plan))
    return 1 if conflicts else 0


def _print_references(found: list[str]) -> None:
    for line in found:
        print(f"renumber: names a renamed patch: {line}")


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
        "check",
        help="series, DEP-3 headers, clean application, formatting-only "
        "changes, collisions and vendoring",
    )
    s.add_argument(
        "--later",
        action="store_true",
        help="also judge the repository against the later upstream releases "
        "that upstream.toml lists (downloads them once)",
    )
    s.set_defaults(func=_check)

    s = sub.add_parser("edit", help="make a git work tree with one commit per patch")
    s.add_argument("dir", metavar="DIR")
    s.set_defaults(func=_edit)

    s = sub.add_parser("export", help="rewrite patches/ and the overlay from DIR")
    s.add_argument("dir", metavar="DIR")
    s.set_defaults(func=_export)

    s = sub.add_parser(
        "renumber",
        help="group the series by section and number it in applied order",
        description="Without DIR: print the plan (renames, moves, references "
        "to renamed patches). With DIR, a fresh edit tree of the series "
        "(`forktool edit DIR`): also re-apply the patches in the new order in a "
        "scratch worktree and report those that conflict. --apply rebases DIR "
        "into the new order, then exports it and writes the sectioned series; "
        "if git stops at a conflict, resolve it, `git rebase --continue`, then "
        "run --finish.",
    )
    s.add_argument("dir", metavar="DIR", nargs="?")
    s.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"the section order (default: {','.join(SECTIONS)})",
    )
    action = s.add_mutually_exclusive_group()
    action.add_argument(
        "--show-series",
        action="store_true",
        help="print patches/series as the plan would write it, and stop",
    )
    action.add_argument(
        "--apply", action="store_true", help="rebase DIR and export it for real"
    )
    action.add_argument(
        "--finish", action="store_true", help="export DIR after a resolved --apply"
    )
    s.set_defaults(func=_renumber)

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
