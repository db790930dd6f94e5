"""Draws the concurrency chart: python chart.py SERIES.json OUT.png.

It runs in the fork's benchmark venv, where matplotlib is installed; the
driver hands it the series as JSON ({label: [[in flight, queries/s], ...]}).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence


def draw(series: dict[str, Sequence[Sequence[float]]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6.4, 4), dpi=100)
    levels: list[float] = []
    for label, points in series.items():
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        axes.plot(xs, ys, marker="o", label=label)
        levels += xs
    axes.set_xscale("log")
    ticks = sorted(set(levels))
    axes.set_xticks(ticks)
    axes.set_xticklabels([f"{t:g}" for t in ticks])
    axes.set_xlabel("queries in flight (asyncio.gather)")
    axes.set_ylabel("throughput (queries/s)")
    axes.set_ylim(bottom=0)
    axes.set_title(title, fontsize=10)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)


def main(argv: Sequence[str]) -> int:
    data = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    draw(data["series"], Path(argv[1]), data["title"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
