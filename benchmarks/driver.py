"""The driver: builds the venvs, runs every contender, prints and draws."""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import contenders as registry
from benchmarks import envs, report
from benchmarks.cli import Options, parse
from forktool.errors import ForkError

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def postgresql_answers() -> str | None:
    """None when something listens on the server's port, else why not."""
    host = os.environ.get("POSTGRES_HOST", "127.0.0.1")
    port = int(os.environ.get("POSTGRES_PORT", "5432"))
    try:
        with socket.create_connection((host, port), timeout=3):
            return None
    except OSError as exc:
        return f"PostgreSQL at {host}:{port} does not answer ({exc.strerror or exc})"


# Environments --quick leaves out unless their venv is built or one of their
# contenders is named: they need a Python 3.12+ and take a while to build.
QUICK_SKIPS = ("upstream", "dab")


def prepare(opts: Options, wanted: list[str]) -> dict[str, Path]:
    """The python of each environment that is ready, building what is missing."""
    ready = {}
    for name, env in envs.environments(ROOT).items():
        if name not in wanted:
            continue
        if envs.is_built(env, ROOT):
            ready[name] = env.python
            continue
        if opts.quick and name in QUICK_SKIPS and opts.contenders is None:
            # Name one of its contenders with --contender to have --quick
            # build it.
            say(f"skipping the {name} contenders: --quick does not build their venv")
            continue
        # This interpreter where the environment can run on it, else the one
        # given for the newer Pythons, or one found.
        if sys.version_info[:2] >= env.minimum_python:
            given: str | None = sys.executable
        else:
            given = opts.upstream_python
        python = envs.find_python(env, given)
        if python is None:
            minimum = ".".join(map(str, env.minimum_python))
            say(f"skipping the {name} contenders: no Python {minimum}+ found")
            continue
        say(f"building {env.venv.relative_to(ROOT)} with {python} (once)")
        started = time.monotonic()
        try:
            envs.build(env, ROOT, python)
        except ForkError as exc:
            say(f"skipping the {name} contenders: building their venv failed: {exc}")
            continue
        ready[name] = env.python
        say(f"built in {time.monotonic() - started:.0f} s")
    return ready


class WorkerError(Exception):
    """A worker's job failed, or its result was refused; the message is one line.

    ``traceback`` is the file that holds the worker's traceback, if it wrote one.
    """

    def __init__(self, message: str, traceback: Path | None = None) -> None:
        super().__init__(message)
        self.traceback = traceback

    def line(self) -> str:
        """The message, and where the traceback is: what the driver prints."""
        where = f" (traceback in {self.traceback})" if self.traceback else ""
        return f"{self}{where}"


def run_worker(python: Path, job: dict[str, Any], work: Path) -> dict[str, Any]:
    name = f"{job['action']}-{job['database']}-{job.get('contender', 'tables')}"
    job_file, out = work / f"{name}.job.json", work / f"{name}.out.json"
    job["out"] = str(out)
    job_file.write_text(json.dumps(job, indent=1), encoding="utf-8")
    if out.exists():
        out.unlink()
    proc = subprocess.run(
        [str(python), str(HERE / "worker.py"), str(job_file)], cwd=work
    )
    if not out.exists():
        raise WorkerError(f"the worker exited with {proc.returncode}, writing nothing")
    result = json.loads(out.read_text(encoding="utf-8"))
    if "error" in result:
        raise WorkerError(result["error"], traceback=out)
    if proc.returncode != 0:
        raise WorkerError(f"the worker exited with {proc.returncode}")
    return result


def driver_mismatch(
    contender: registry.Contender, database: str, result: dict[str, Any]
) -> str | None:
    """Why a result must be refused, or None when it went through the right driver.

    Only PostgreSQL has a choice of driver: there the worker must have used
    the one the contender declares, whatever its venv happens to hold.
    """
    if database != "postgresql":
        return None
    used = result.get("driver") or "an unreported driver"
    if contender.driver is None:
        return f"{contender.key} declares no driver (its worker used {used})"
    if used != contender.driver:
        expected = f"{contender.key} expects {contender.driver}"
        return f"its worker used {used}, but {expected}"
    return None


def native_mismatch(
    contender: registry.Contender, result: dict[str, Any]
) -> str | None:
    """Why a result must be refused for how it ran the a-methods, or None.

    The worker probes each loop it ran a-methods on (its own, and the whole-app
    server's): native execution is on when the probed call ran in a native
    scope, on the loop's thread, and the loop has a pool for the alias. A
    native contender needs every probe to say so; any other contender must
    have none that does, so the thread path cannot be measured natively by a
    stray setting either.
    """
    probes = {k: v for k, v in (result.get("native") or {}).items() if v}
    if contender.native:
        if not probes:
            return f"{contender.key} is native, but its worker reported no probe"
        for where, probe in probes.items():
            off = [k for k in ("scope", "same_thread", "pool") if not probe.get(k)]
            if off:
                return (
                    f"native execution was not on in the {where} probe "
                    f"(no {', no '.join(off)}), but {contender.key} is native"
                )
        return None
    for where, probe in probes.items():
        if probe.get("scope") or probe.get("same_thread"):
            return f"the {where} probe ran natively, but {contender.key} is not native"
    return None


def measure(
    contender: registry.Contender,
    job: dict[str, Any],
    env: envs.Environment,
    work: Path,
) -> dict[str, Any]:
    """The contender's result for the job's database and scenarios.

    Raises WorkerError when the worker failed or ran on another driver than
    the contender's: its figures must not reach a table.
    """
    job = {
        **job,
        "action": "run",
        "contender": contender.key,
        "runner": contender.runner,
        "database_settings": app_settings(contender.database, job.get("app")),
        "apps": list(contender.apps),
    }
    result = run_worker(env.python, job, work)
    why = driver_mismatch(contender, job["database"], result)
    why = why or native_mismatch(contender, result)
    if why:
        venv = env.venv.relative_to(ROOT)
        raise WorkerError(
            f"refused: {why}; check what {venv} holds (deleting it has it rebuilt)"
        )
    return result


def app_settings(
    database: dict[str, Any], app: dict[str, Any] | None
) -> dict[str, Any]:
    """The contender's database settings for a job; for a whole-app server
    with several uvicorn workers, each worker's native pool gets its share of
    the pool's width, so that together they stay within what one process
    would open (PostgreSQL allows 100 connections by default)."""
    workers = int((app or {}).get("workers", 1))
    pool = database.get("OPTIONS", {}).get("async_pool")
    if workers <= 1 or not isinstance(pool, dict) or "max_size" not in pool:
        return database
    max_size = max(1, -(-pool["max_size"] // workers))
    share = {**pool, "max_size": max_size}
    share["min_size"] = min(share.get("min_size", 1), max_size)
    options = {**database["OPTIONS"], "async_pool": share}
    return {**database, "OPTIONS": options}


def alternate(items: list[Any], round_: int) -> list[Any]:
    """The order of a round: as given in even rounds, reversed in odd ones,
    so that no contender always runs first (or right after the same one)."""
    return list(items) if round_ % 2 == 0 else list(reversed(items))


def merge(
    into: dict[str, Any],
    result: dict[str, Any],
    round_: int,
    rename: Any = None,
) -> None:
    """Add one round's result to a contender's: samples appended to the
    earlier rounds', probes kept apart by round (every one must pass),
    and what the first round said about the contender kept.

    rename maps a whole-app figure's name to its case in the tables.
    """
    into.setdefault("about", result.get("about", {}))
    into.setdefault("driver", result.get("driver"))
    figures = into.setdefault("figures", {})
    for scenario, cases in result.get("figures", {}).items():
        target = figures.setdefault(scenario, {})
        for case, samples in cases.items():
            name = rename(case) if rename else case
            target.setdefault(name, []).extend(samples)
    for where, probe in (result.get("native") or {}).items():
        into.setdefault("native", {})[f"{where}, round {round_ + 1}"] = probe
    for scenario, why in result.get("skipped", {}).items():
        into.setdefault("skipped", {})[scenario] = why
    if result.get("app"):
        into.setdefault("app", []).append(result["app"])


def machine() -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "system": platform.platform(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def transaction_section(
    figures: dict[str, Any],
    chosen: list[registry.Contender],
    database: str,
    sizes: dict[str, Any],
) -> list[str]:
    """The transaction table's lines, or none when no contender ran it.

    Its ratios are to the thread path, which is also the native contender's
    twin: the table shows no second ratio.
    """
    headers, rows = report.table(
        figures,
        chosen,
        database,
        registry.TRANSACTION,
        report.transaction_table_cases(sizes["levels"]),
        report.format_per_transaction,
        second_ratio=False,
    )
    if not rows:
        return []
    title = (
        f"Transactions ({sizes['transactions']} a sample, each "
        "`select_for_update().get()`, `balance += 1`, `save()` in one "
        "`atomic()` block; ratios to the thread path)"
    )
    return ["", f"{title}:", "", report.markdown(headers, rows)]


def render(data: dict[str, Any], chosen: list[registry.Contender]) -> str:
    sizes, about = data["sizes"], data["machine"]
    lines = [
        f"Run of {about['date']} on {about['cores']} cores ({about['cpu']}), "
        f"load average {about['load_before']} before and "
        f"{about['load_after']} after; {about['seconds']:.0f} s in all.",
        "",
        "Each figure is the median of "
        f"{sizes['repeat']} samples (memory: {sizes['memory_repeat']}), taken "
        "in as many rounds in which the contenders alternate; "
        "the ratio in brackets is to the reference in the same run: the "
        "contender's sync twin for per-call and memory figures (for "
        "django-async-backend and SQLAlchemy, the fork's sync calls on "
        "psycopg 3), the raw psycopg 3 pool at the same concurrency for the "
        "concurrency figures, the thread path on psycopg 3 for the "
        "transaction and whole-app figures. CPU figures are divided by the "
        "reference's CPU figure.",
    ]
    measured = {key for results in data["results"].values() for key in results}
    if any(c.versus in measured and c.key in measured for c in chosen):
        lines[-1] += (
            ' A second ratio ("…x of psycopg2") is to the fork\'s same figure '
            "on the other driver, also measured in this run: what switching "
            'drivers costs; on the native contender ("…x of sync_to_async") '
            "to the thread path's same figure on psycopg 3."
        )
    failures = data.get("failures", {})
    for database, results in data["results"].items():
        lines += ["", f"### {database}", ""]
        for key, result in results.items():
            info = ", ".join(f"{k} {v}" for k, v in result["about"].items())
            lines.append(f"- {registry.REGISTRY[key].title(database)}: {info}")
        for key, result in results.items():
            for scenario, why in result.get("skipped", {}).items():
                title = registry.REGISTRY[key].title(database)
                lines.append(f"- {title}: {scenario} scenario skipped ({why})")
        for key, why in failures.get(database, {}).items():
            title = registry.REGISTRY[key].title(database)
            lines.append(f"- {title}: not measured ({why})")
        if database in data.get("servers", {}):
            lines.append(f"- server: {data['servers'][database]}")
        figures = {k: v["figures"] for k, v in results.items()}
        sections = [
            (
                registry.PERCALL,
                f"Per call ({sizes['calls']} calls a sample; iteration: "
                f"{sizes['table_rows']:,} rows)",
                report.PERCALL_CASES,
                report.format_seconds,
            ),
            (
                registry.CONCURRENCY,
                f"Concurrency ({sizes['queries']} aget calls a sample, "
                f"each with {sizes['delay'] * 1000:g} ms of pg_sleep)",
                report.concurrency_cases(sizes["levels"]),
                report.format_per_query,
            ),
            (
                registry.MEMORY,
                f"Peak memory (tracemalloc) reading {sizes['memory_rows']:,} rows",
                report.MEMORY_CASES,
                report.format_bytes,
            ),
        ]
        for scenario, title, cases, fmt in sections:
            headers, rows = report.table(
                figures, chosen, database, scenario, cases, fmt
            )
            if rows:
                lines += ["", f"{title}:", "", report.markdown(headers, rows)]
            if scenario in (registry.PERCALL, registry.CONCURRENCY):
                # The same cells in CPU time of the contender's process.
                headers, rows = report.table(
                    figures,
                    chosen,
                    database,
                    scenario + registry.CPU_SUFFIX,
                    cases,
                    report.format_seconds,
                )
                if rows:
                    what = "call" if scenario == registry.PERCALL else "query"
                    cpu_title = (
                        f"{title.split(' (')[0]}, CPU time per {what} "
                        "(the contender's process, every thread; ratios as above)"
                    )
                    lines += ["", f"{cpu_title}:", "", report.markdown(headers, rows)]
            if scenario == registry.CONCURRENCY:
                lines += transaction_section(figures, chosen, database, sizes)
        configs = sizes.get("app_configs", [["plain", 1]])
        headers, rows = report.app_table(figures, chosen, database, configs)
        if rows:
            title = (
                f"Whole app (uvicorn, {sizes['app_clients']} HTTP/1.1 keep-alive "
                f"clients, {sizes['app_repeat']} rounds of a read and a write "
                f"phase of {sizes['app_seconds']:g} s for each configuration, "
                "contenders alternating; ratios to the thread path)"
            )
            lines += ["", f"{title}:", "", report.markdown(headers, rows)]
    return "\n".join(lines) + "\n"


def draw(python: Path, data: dict[str, Any], chosen, path: Path, work: Path) -> None:
    results = data["results"].get("postgresql")
    if not results:
        return
    figures = {k: v["figures"] for k, v in results.items()}
    series = report.chart_series(figures, chosen, data["sizes"]["levels"])
    if not series:
        return
    sizes = data["sizes"]
    title = (
        f"{sizes['queries']} queries with {sizes['delay'] * 1000:g} ms of "
        f"server time each, PostgreSQL, {data['machine']['date'][:10]}"
    )
    spec = work / "chart.json"
    spec.write_text(json.dumps({"series": series, "title": title}), encoding="utf-8")
    subprocess.run(
        [str(python), str(HERE / "chart.py"), str(spec), str(path)], check=True
    )
    say(f"chart written to {path}")


def run_rounds(
    database: str,
    base: dict[str, Any],
    chosen: list[registry.Contender],
    ready: dict[str, Path],
    work: Path,
    sizes: dict[str, Any],
    setup: dict[str, Any],
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Every contender's results on one database, taken in rounds.

    The machine's load drifts over a run, so the contenders that a ratio
    compares are measured interleaved: each timed round runs every contender
    once, one sample of each case (after an unmeasured one), in the order of
    the registry in even rounds and reversed in odd ones; `repeat` rounds give
    each figure its samples. Memory goes in the first round only. The whole
    app runs in `app_repeat` rounds of its own, each round serving every
    configuration with each contender in turn. A contender that fails in any
    round is left out of the tables; the second dict says why.
    """
    environments = envs.environments(ROOT)
    results: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    planned = []
    for contender in chosen:
        scenarios = [s for s in registry.SCENARIOS if contender.runs(s, database)]
        if scenarios and contender.environment in ready:
            planned.append((contender, scenarios))

    def one(
        contender: registry.Contender, job: dict[str, Any], round_: int, rename=None
    ) -> None:
        title = contender.title(database)
        began = time.monotonic()
        try:
            result = measure(contender, job, environments[contender.environment], work)
        except WorkerError as exc:
            failures[contender.key] = str(exc)
            results.pop(contender.key, None)
            say(f"{database}: {title}: FAILED: {exc.line()}")
            return
        merge(results.setdefault(contender.key, {}), result, round_, rename)
        took = time.monotonic() - began
        what = ", ".join(job["scenarios"])
        if job.get("app"):
            workers = job["app"]["workers"]
            plural = "s" if workers != 1 else ""
            what += f" ({job['app']['profile']}, {workers} worker{plural})"
        say(f"{database}: round {round_ + 1}: {title}: {what} ({took:.0f} s)")
        for scenario, why in result.get("skipped", {}).items():
            if round_ == 0:
                say(f"{database}: {title}: {scenario} skipped: {why}")

    for round_ in range(sizes["repeat"]):
        for contender, scenarios in alternate(planned, round_):
            if contender.key in failures:
                continue
            wanted = [s for s in scenarios if s in registry.TIMED]
            if round_ == 0 and registry.MEMORY in scenarios:
                wanted.append(registry.MEMORY)
            if wanted:
                job = {**base, "scenarios": wanted, "sizes": {**sizes, "repeat": 1}}
                one(contender, job, round_)
    serving = [c for c, scenarios in planned if registry.APP in scenarios]
    for round_ in range(sizes["app_repeat"] if serving else 0):
        for profile, workers in sizes["app_configs"]:
            app = {
                "profile": profile,
                "workers": workers,
                "sessions": setup.get("sessions", []),
            }
            for contender in alternate(serving, round_):
                if contender.key in failures:
                    continue
                job = {
                    **base,
                    "scenarios": [registry.APP],
                    "sizes": {**sizes, "app_repeat": 1},
                    "app": app,
                }

                def rename(metric: str, p: str = profile, w: int = workers) -> str:
                    return registry.app_case(metric, p, w)

                one(contender, job, round_, rename)
    # In the registry's order, as the tables show them.
    ordered = {c.key: results[c.key] for c in chosen if c.key in results}
    return ordered, failures


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    started = time.monotonic()
    chosen = registry.select(opts.contenders)
    work = opts.output if opts.output.is_absolute() else ROOT / opts.output
    work.mkdir(parents=True, exist_ok=True)
    lock = open(work / ".lock", "w")
    try:
        # Two runs at once would build the same venvs and share the tables.
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        say(f"another run is using {work}; wait for it to finish")
        return 2
    if "postgresql" in opts.databases:
        why = postgresql_answers()
        if why:
            say(f"{why}; start it, or pass --database sqlite")
            return 2
    data: dict[str, Any] = {"machine": machine(), "sizes": opts.sizes.as_json()}
    wanted = ["fork"] + [c.environment for c in chosen]
    ready = prepare(opts, wanted)
    if "fork" not in ready:
        say("the fork's venv could not be built")
        return 2
    data["results"], data["servers"], data["failures"] = {}, {}, {}
    for database in opts.databases:
        base = {"database": database, "sizes": data["sizes"]}
        base["sqlite_path"] = str(work / "asyncorm_bench.sqlite3")
        say(f"{database}: creating and filling the tables")
        try:
            setup = run_worker(ready["fork"], {**base, "action": "setup"}, work)
        except WorkerError as exc:
            say(f"{database}: creating the tables failed: {exc.line()}")
            return 2
        if setup.get("server"):
            data["servers"][database] = setup["server"]
        results, failures = run_rounds(
            database, base, chosen, ready, work, data["sizes"], setup
        )
        data["results"][database] = results
        if failures:
            data["failures"][database] = failures
    data["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    data["machine"]["seconds"] = time.monotonic() - started
    (work / "results.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    text = render(data, chosen)
    (work / "report.md").write_text(text, encoding="utf-8")
    print()
    print(text)
    chart = opts.chart if opts.chart.is_absolute() else ROOT / opts.chart
    draw(ready["fork"], data, chosen, chart, work)
    say(f"results in {work / 'results.json'} and {work / 'report.md'}")
    failed = [f"{d}: {k}" for d, keys in data["failures"].items() for k in keys]
    if failed:
        say(f"left out of the tables, failed: {'; '.join(failed)}")
    wrong = [
        problem
        for results in data["results"].values()
        for problem in report.app_problems(
            {k: v["figures"] for k, v in results.items()}
        )
    ]
    for problem in wrong:
        say(f"FAILED: {problem}")
    return 1 if failed or wrong else 0
