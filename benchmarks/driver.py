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


def prepare(opts: Options, wanted: list[str]) -> dict[str, Path]:
    """The python of each environment that is ready, building what is missing."""
    ready = {}
    for name, env in envs.environments(ROOT).items():
        if name not in wanted:
            continue
        if envs.is_built(env, ROOT):
            ready[name] = env.python
            continue
        if opts.quick and name == "upstream" and opts.contenders is None:
            # Building it takes minutes on a fresh machine; name an upstream
            # contender with --contender to have --quick build it.
            say("skipping the upstream contenders: --quick does not build their venv")
            continue
        # The fork's venvs run on this interpreter; upstream on one it supports.
        given = sys.executable if env.install_repo else opts.upstream_python
        python = envs.find_python(env, given)
        if python is None:
            minimum = ".".join(map(str, env.minimum_python))
            say(f"skipping the {name} contenders: no Python {minimum}+ found")
            continue
        say(f"building {env.venv.relative_to(ROOT)} with {python} (once)")
        started = time.monotonic()
        envs.build(env, ROOT, python)
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
        "database_settings": contender.database,
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
        f"{sizes['repeat']} samples (memory: {sizes['memory_repeat']}); "
        "the ratio in brackets is to the reference in the same run: the "
        "contender's sync twin for per-call and memory figures, the raw "
        "psycopg 3 pool at the same concurrency for the concurrency figures, "
        "the thread path on psycopg 3 for the transaction figures.",
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
            if scenario == registry.CONCURRENCY:
                lines += transaction_section(figures, chosen, database, sizes)
        headers, rows = report.app_table(figures, chosen, database)
        if rows:
            title = (
                f"Whole app (uvicorn, {sizes['app_clients']} HTTP/1.1 keep-alive "
                f"clients, {sizes['app_repeat']} read and write phases of "
                f"{sizes['app_seconds']:g} s; ratios to the thread path)"
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
    environments = envs.environments(ROOT)
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
        data["results"][database] = {}
        for contender in chosen:
            title = contender.title(database)
            scenarios = [s for s in registry.SCENARIOS if contender.runs(s, database)]
            if not scenarios or contender.environment not in ready:
                continue
            job = {**base, "scenarios": scenarios}
            env = environments[contender.environment]
            began = time.monotonic()
            try:
                result = measure(contender, job, env, work)
            except WorkerError as exc:
                data["failures"].setdefault(database, {})[contender.key] = str(exc)
                say(f"{database}: {title}: FAILED: {exc.line()}")
                continue
            data["results"][database][contender.key] = result
            took = time.monotonic() - began
            say(f"{database}: {title}: {', '.join(scenarios)} ({took:.0f} s)")
            for scenario, why in result.get("skipped", {}).items():
                say(f"{database}: {title}: {scenario} skipped: {why}")
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
        return 1
    return 0
