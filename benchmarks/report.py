"""Medians, ratios and the tables the driver prints (pure functions)."""

from __future__ import annotations

import statistics
from typing import Any, Callable, Mapping, Sequence

from benchmarks.contenders import (
    APP,
    APP_REFERENCE,
    CONCURRENCY,
    CPU_SUFFIX,
    DRIVER_NAMES,
    MEMORY,
    PERCALL,
    POOL,
    REGISTRY,
    TRANSACTION,
    TRANSACTION_REFERENCE,
    Contender,
    app_case,
)
from benchmarks.runners import CONTENDED_ROWS, transaction_cases

# results[contender key][scenario][case] = samples, for one database.
Samples = dict[str, dict[str, list[float]]]
DatabaseResults = Mapping[str, Samples]

# The rows of each table: (case as the worker reports it, label).
PERCALL_CASES = [
    ("get", "get / aget"),
    ("count", "count / acount"),
    ("create", "create / acreate"),
    ("iterate", "1,000 rows: for / async for"),
    ("aiterator", "1,000 rows: async for in aiterator()"),
]
# tracemalloc slows reading 100,000 rows about ninefold, so the memory
# scenario keeps to the two ways the question is about.
MEMORY_CASES = [
    ("list", "list(qs)"),
    ("aiterator", "async for in qs.aiterator()"),
]
# The whole-app scenario's rows: rates are medians of the phases, with their
# ratio to the thread path; errors and lost writes are totals over them all.
APP_RATES = [
    ("reads", "reads/s (a row by pk and a page of 20, in turn)"),
    ("writes", "writes/s (one counter row, UPDATE with F() + 1)"),
]
APP_PROFILE_LABELS = {
    "plain": "no middleware",
    "sessions": "sessions and auth, logged in",
}
APP_COUNTS = [
    ("errors", "errors (answers but 200, failed connections)"),
    ("lost", "lost writes (answered 200, missing from the counter)"),
]
# Whose figure a case is compared with: iterating asynchronously against the
# sync `for`, streaming the big table against list().
REFERENCE_CASE = {
    PERCALL: {"aiterator": "iterate"},
    MEMORY: {"aiterator": "list"},
}


def median(samples: Sequence[float]) -> float:
    if not samples:
        raise ValueError("no samples to take the median of")
    return float(statistics.median(samples))


def ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return value / reference


def format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_bytes(size: float) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def format_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}x"


def figure(
    results: DatabaseResults, key: str, scenario: str, case: str
) -> float | None:
    samples = results.get(key, {}).get(scenario, {}).get(case)
    return median(samples) if samples else None


def base_scenario(scenario: str) -> str:
    """The scenario a figure belongs to: "percall" for "percall-cpu" too."""
    if scenario.endswith(CPU_SUFFIX):
        return scenario[: -len(CPU_SUFFIX)]
    return scenario


def reference_of(contender: Contender, scenario: str, case: str) -> tuple[str, str]:
    """The (contender, case) a figure is divided by to give its ratio.

    A CPU figure is divided by the reference's CPU figure (same scenario
    name), a wall figure by its wall figure.
    """
    scenario = base_scenario(scenario)
    if scenario == CONCURRENCY:
        return POOL, case
    if scenario == TRANSACTION:
        return TRANSACTION_REFERENCE, case
    key = contender.baseline or contender.key
    return key, REFERENCE_CASE.get(scenario, {}).get(case, case)


def versus_name(contender: Contender) -> str:
    """How a second ratio names what it is taken against: the contender's
    versus_title, or else the twin's driver."""
    if contender.versus_title:
        return contender.versus_title
    twin = REGISTRY.get(contender.versus or "")
    if twin is None or twin.driver is None:
        return str(contender.versus)
    return DRIVER_NAMES.get(twin.driver, twin.driver)


def table(
    results: DatabaseResults,
    contenders: Sequence[Contender],
    database: str,
    scenario: str,
    cases: Sequence[tuple[str, str]],
    fmt: Callable[[float], str],
    second_ratio: bool = True,
) -> tuple[list[str], list[list[str]]]:
    """Headers and rows: one row per case, one column per contender that ran.

    A cell is the median and its ratio to the reference; a contender with a
    twin on another driver (``versus``) adds the ratio to the twin's same
    case, unless second_ratio is False (a table whose reference is already
    that twin).
    """
    shown = [c for c in contenders if scenario in results.get(c.key, {})]
    headers = [""] + [c.title(database) for c in shown]
    rows: list[list[str]] = []
    for case, label in cases:
        row = [label]
        for contender in shown:
            value = figure(results, contender.key, scenario, case)
            if value is None:
                row.append("")
                continue
            ref_key, ref_case = reference_of(contender, scenario, case)
            reference = figure(results, ref_key, scenario, ref_case)
            ratios = format_ratio(ratio(value, reference))
            if contender.versus and second_ratio:
                twin = figure(results, contender.versus, scenario, case)
                ratios += f"; {format_ratio(ratio(value, twin))} of "
                ratios += versus_name(contender)
            row.append(f"{fmt(value)} ({ratios})")
        if any(row[1:]):
            rows.append(row)
    return headers, rows


def app_table(
    results: DatabaseResults,
    contenders: Sequence[Contender],
    database: str,
    configs: Sequence[Sequence[Any]],
) -> tuple[list[str], list[list[str]]]:
    """The whole-app table: one column per contender that served the site,
    the rates and counts of each (profile, workers) configuration in turn."""
    shown = [c for c in contenders if APP in results.get(c.key, {})]
    headers = [""] + [c.title(database) for c in shown]
    rows = []
    for profile, workers in configs:
        where = f"{APP_PROFILE_LABELS.get(profile, profile)}, {workers} worker"
        where += "s" if workers != 1 else ""
        for metric, label in APP_RATES:
            case = app_case(metric, profile, workers)
            row = [f"{where}: {label}"]
            reference = figure(results, APP_REFERENCE, APP, case)
            for contender in shown:
                value = figure(results, contender.key, APP, case)
                if value is None:
                    row.append("")
                    continue
                cell = f"{value:,.0f}/s ({format_ratio(ratio(value, reference))})"
                row.append(cell)
            rows.append(row)
        for metric, label in APP_COUNTS:
            case = app_case(metric, profile, workers)
            row = [f"{where}: {label}"]
            for contender in shown:
                samples = results[contender.key][APP].get(case)
                row.append("" if samples is None else f"{sum(samples):,.0f}")
            rows.append(row)
    rows = [row for row in rows if any(row[1:])]
    return headers, (rows if shown else [])


def app_problems(results: DatabaseResults) -> list[str]:
    """What the whole app got wrong, per contender and configuration: any
    error or lost write fails the run, whatever its rates."""
    problems = []
    for key, figures in results.items():
        cases = figures.get(APP, {})
        for case in sorted(c for c in cases if c.startswith("errors ")):
            where = case.split(" ", 1)[1]
            errors = sum(cases[case])
            lost = sum(cases.get(f"lost {where}", []))
            if errors or lost:
                problems.append(
                    f"{key}, whole app {where}: {errors:,.0f} errors, "
                    f"{lost:,.0f} lost writes"
                )
    return problems


def concurrency_cases(levels: Sequence[int]) -> list[tuple[str, str]]:
    return [(str(level), f"{level} in flight") for level in levels]


def format_per_query(seconds: float) -> str:
    return f"{format_seconds(seconds)}/query, {1 / seconds:,.0f} q/s"


def transaction_table_cases(levels: Sequence[int]) -> list[tuple[str, str]]:
    """The transaction table's rows, in the order the runners name them."""
    rows = []
    for case, (level, accounts) in transaction_cases(levels).items():
        if accounts == level:
            rows.append((case, f"{level} in flight, a row each"))
        else:
            rows.append((case, f"{level} in flight on {CONTENDED_ROWS} rows"))
    return rows


def format_per_transaction(seconds: float) -> str:
    return f"{format_seconds(seconds)}/transaction, {1 / seconds:,.0f} tx/s"


def markdown(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table with its columns padded to line up in a terminal."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths)]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def chart_series(
    results: DatabaseResults, contenders: Sequence[Contender], levels: Sequence[int]
) -> dict[str, list[tuple[int, float]]]:
    """Throughput (queries/s) at each concurrency level, per contender label."""
    series = {}
    for contender in contenders:
        # Only PostgreSQL runs the concurrency scenario.
        label = contender.title("postgresql")
        points = []
        for level in levels:
            value = figure(results, contender.key, CONCURRENCY, str(level))
            if value:
                points.append((level, 1 / value))
        if points:
            series[label] = points
    return series
