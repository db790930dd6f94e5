"""Run Django's own test suite against the patched tree, judged by a known list.

The tree is installed (not put on a path) into a virtual environment under
build/ (one per Python version, and one more for a driver that must not share
it), then tests/runtests.py runs from the tree. Failures are compared with the
driver's known-failures/<stem>.txt (sqlite, mysql, postgresql-psycopg2,
postgresql-psycopg, ...): anything not listed fails the run, and so does a listed
test that now passes, so the list can only shrink.

With --minimal the venv (build/venv-pyX.Y[-driver]-minimal) gets only Django's
required dependencies (requirements/minimal.txt) and the driver instead of
tests.txt, and forktool refuses it if anything else has got in, so the tests
of optional packages run their skip paths.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from forktool import databases
from forktool.config import Repo
from forktool.errors import ForkError
from forktool.progress import step
from forktool.tree import overlay_files, rebuild
from forktool.venvs import Venv

START_RE = re.compile(r"^(?P<name>\w+) \((?P<where>[\w.]+)\)")
STATUS_RE = re.compile(
    r" \.\.\. (?P<status>ok|FAIL|ERROR|skipped|expected failure|unexpected success)"
)
SUMMARY_RE = re.compile(
    r"^(?P<kind>FAIL|ERROR|UNEXPECTED SUCCESS): (?P<name>\w+) \((?P<where>[\w.]+)\)"
)
VERBOSITY_ARGS = ("-v", "--verbosity")
MINIMAL_SUFFIX = "-minimal"
# What a venv has besides the requirements it was given: pip, and what
# prepare() builds the tree with (setuptools, wheel and wheel's packaging).
VENV_TOOLS = frozenset({"pip", "setuptools", "wheel", "packaging"})
# Prints the name of every distribution the venv's interpreter can import
# from, one a line. -I keeps the working directory and PYTHON* variables out.
LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m\n"
    "for d in m.distributions(): print(d.metadata['Name'])"
)


def test_id(name: str, where: str) -> str:
    """unittest's description of a test as a dotted id, on any Python version."""
    return where if where.endswith("." + name) else f"{where}.{name}"


@dataclass
class Outcome:
    status: dict[str, str] = field(default_factory=dict)  # id -> last status
    failed: set[str] = field(default_factory=set)
    summary: str = ""

    def feed(self, line: str, pending: list[str]) -> None:
        start = START_RE.match(line)
        if start:
            pending[:] = [test_id(start["name"], start["where"])]
        status = STATUS_RE.search(line)
        if status and pending:
            value = status["status"]
            self.status[pending[0]] = value
            if value in ("FAIL", "ERROR", "unexpected success"):
                self.failed.add(pending[0])
            pending.clear()
        summary = SUMMARY_RE.match(line)
        if summary:
            self.failed.add(test_id(summary["name"], summary["where"]))
        if line.startswith(("OK", "FAILED (")) and "(" in line or line == "OK":
            self.summary = line

    def count(self, *values: str) -> int:
        return sum(1 for v in self.status.values() if v in values)


def parse_output(lines: list[str]) -> Outcome:
    outcome, pending = Outcome(), []
    for line in lines:
        outcome.feed(line.rstrip("\n"), pending)
    return outcome


def read_known(path: Path) -> dict[str, str]:
    """Map each listed test id to its reason; every entry must give one."""
    known: dict[str, str] = {}
    if not path.exists():
        return known
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        test, _, reason = line.partition("#")
        test, reason = test.strip(), reason.strip()
        if not reason or " " in test:
            raise ForkError(
                f"{path.name}:{number}: write each entry as '<test id>  # <reason>'"
            )
        known[test] = reason
    return known


def fingerprint(repo: Repo) -> str:
    """A digest of everything that goes into the tree, to skip needless rebuilds."""
    digest = hashlib.sha256()
    inputs = [repo.root / "upstream.toml", *sorted(repo.patches_dir.rglob("*"))]
    inputs += [repo.root / rel for rel in overlay_files(repo)]
    inputs += sorted((repo.root / "forktool").glob("*.py"))
    for path in inputs:
        if path.is_file():
            digest.update(path.relative_to(repo.root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def normalize(name: str) -> str:
    """A distribution name as pip compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(path: Path) -> set[str]:
    """The distributions a pinned requirements file names (no -r includes)."""
    names = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        if match:
            names.add(normalize(match.group()))
    return names


def check_only_required(python: Path, requirements: list[Path]) -> None:
    """Refuse a --minimal venv holding anything its requirements don't name."""
    allowed = {"django", *VENV_TOOLS}
    for req in requirements:
        allowed |= requirement_names(req)
    proc = subprocess.run(
        [str(python), "-I", "-c", LIST_DISTRIBUTIONS],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    extra = sorted({normalize(n) for n in proc.stdout.split()} - allowed)
    if extra:
        venv = python.parent.parent
        raise ForkError(
            f"{venv} must hold only Django's required dependencies, but it "
            f"also has {', '.join(extra)}: uninstall them there, or delete "
            f"that venv to have it rebuilt"
        )


def _python_version(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def prepare(
    repo: Repo,
    python: str,
    requirements: list[Path],
    build_hint: str = "",
    venv_suffix: str = "",
) -> tuple[Path, Path]:
    """Build the tree and a venv where it is the installed Django, or reuse both.

    The venv is build/venv-pyX.Y<venv_suffix>. A marker in it records the
    tree's fingerprint and the digest of each requirements file installed, so
    that switching databases only installs the missing driver, and only a
    changed patch or overlay rebuilds the tree.
    """
    version = _python_version(python)
    venv = Venv(repo.build_dir / f"venv-py{version}{venv_suffix}", say=step)
    tree = repo.build_dir / "tree"
    wanted_tree = fingerprint(repo)
    fresh_tree = venv.state().get("tree") == wanted_tree and tree.is_dir()
    if fresh_tree and not venv.missing(requirements):
        step(f"Tree and {venv.path.name} are up to date")
        return venv.python, tree
    venv.create(python)
    venv.install_requirements(requirements, hint=build_hint)
    if not fresh_tree:
        step("Building the patched tree in build/tree")
        rebuild(repo, tree)
        venv.install_stamped(
            "tree",
            wanted_tree,
            "--no-deps",
            "--force-reinstall",
            "--no-build-isolation",
            str(tree),
            what="the patched Django",
        )
    return venv.python, tree


def run_suite(
    repo: Repo,
    args: list[str],
    *,
    database: str = "sqlite",
    driver: str | None = None,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    native: bool = False,
    minimal: bool = False,
    pgbouncer: bool = False,
) -> int:
    db = databases.get(database)
    drv = db.driver(driver)
    settings = db.settings
    if pgbouncer:
        # Checked before --native, whose error would not mention --pgbouncer.
        drv, settings = databases.pgbouncer(db, drv, native)
        args = databases.pgbouncer_args(args)
    elif native:
        drv, settings = databases.native(db, drv)
    databases.check_listening(db)
    if pgbouncer:
        databases.check_pgbouncer_listening()
    base = "minimal.txt" if minimal else "tests.txt"
    reqs = [repo.root / "requirements" / base]
    if drv.requirements:
        reqs.append(repo.root / "requirements" / drv.requirements)
    if native:
        reqs.append(repo.root / "requirements" / databases.NATIVE_REQUIREMENTS)
    suffix = drv.venv_suffix + (MINIMAL_SUFFIX if minimal else "")
    vpython, tree = prepare(repo, python, reqs, db.build_hint, suffix)
    if minimal:
        check_only_required(vpython, reqs)
    databases.check_login(db, drv, vpython, tree / "tests")
    known_file = repo.root / "known-failures" / f"{drv.stem}.txt"
    known = read_known(known_file)
    cmd = [str(vpython), "runtests.py", *args]
    if not any(a.split("=")[0] in VERBOSITY_ARGS for a in args):
        cmd.insert(2, "--verbosity=2")  # per-test lines, to see listed tests pass
    if settings and not any(a.startswith("--settings") for a in args):
        cmd.insert(2, f"--settings={settings}")
    if not any(a in ("--noinput", "--no-input") for a in args):
        # A test database that an interrupted run left behind is replaced
        # rather than asked about: nobody can answer the prompt in CI.
        cmd.insert(2, "--noinput")
    log = repo.build_dir / f"test-{drv.stem}{MINIMAL_SUFFIX if minimal else ''}.log"
    if pgbouncer:
        # See tests/test_postgresql_pgbouncer.py for why not through PgBouncer.
        assert settings is not None
        step("Creating the test databases on the server itself")
        databases.pgbouncer_test_databases(vpython, tree / "tests", settings, "create")
    step(f"Running {' '.join(cmd[1:])} (full log: {log.relative_to(repo.root)})")
    started = time.monotonic()
    try:
        outcome, code = _run(cmd, tree, log, env)
    finally:
        if pgbouncer:
            databases.pgbouncer_test_databases(
                vpython, tree / "tests", settings, "drop"
            )
    minutes = (time.monotonic() - started) / 60
    return judge(outcome, known, known_file.name, code, minutes)


def _run(
    cmd: list[str], tree: Path, log: Path, env: dict[str, str] | None
) -> tuple[Outcome, int]:
    """Run the runner, writing its log and showing all but per-test lines."""
    outcome, pending, shown = Outcome(), [], 0
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            cmd, cwd=tree / "tests", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", env={**os.environ, **(env or {})},
        )  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            before = len(outcome.status)
            outcome.feed(line.rstrip("\n"), pending)
            # Per-test lines are only in the log; everything else is shown.
            if len(outcome.status) == before and not START_RE.match(line):
                sys.stdout.write(line)
            elif len(outcome.status) // 1000 > shown:
                shown = len(outcome.status) // 1000
                print(f"  ... {shown * 1000} tests run", flush=True)
        return outcome, proc.wait()


def judge(
    outcome: Outcome, known: dict[str, str], listname: str, code: int, minutes: float
) -> int:
    unexpected = sorted(t for t in outcome.failed if t not in known)
    expected = sorted(t for t in outcome.failed if t in known)
    fixed = sorted(
        t for t in known if outcome.status.get(t) == "ok" and t not in outcome.failed
    )
    print(
        f"\nforktool: runner said {outcome.summary or 'nothing'} in {minutes:.1f} min"
    )
    if expected:
        print(f"{len(expected)} listed failures in {listname} failed as expected")
    for t in unexpected:
        print(f"UNEXPECTED FAILURE: {t}")
    for t in fixed:
        print(f"NOW PASSES (remove it from {listname}): {t}")
    passed = outcome.count("ok", "expected failure")
    skipped = outcome.count("skipped")
    failed = len(unexpected) + len(fixed)
    crashed = code != 0 and not outcome.failed
    if crashed:
        print(f"the test runner exited with {code} without reporting a failure")
        failed += 1
    print(f"suite: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0
