from pathlib import Path

import pytest

from benchmarks import cli


def test_defaults_are_the_full_run_on_every_database():
    opts = cli.parse([])
    assert opts.sizes == cli.FULL
    assert opts.databases == ("sqlite", "postgresql")
    assert opts.contenders is None
    assert opts.chart == Path("build/bench/concurrency.png")


def test_quick_is_small_and_runs_once():
    opts = cli.parse(["--quick"])
    assert opts.quick
    assert opts.sizes.repeat == 1 and opts.sizes.memory_repeat == 1
    assert opts.sizes.memory_rows < cli.FULL.memory_rows
    assert opts.sizes.levels == cli.FULL.levels


def test_database_contender_repeat_and_paths():
    opts = cli.parse(
        [
            "--database",
            "postgresql",
            "--contender",
            "fork-async",
            "--contender",
            "psycopg3-pool",
            "--repeat",
            "3",
            "--output",
            "/tmp/out",
        ]
    )
    assert opts.databases == ("postgresql",)
    assert opts.contenders == ["fork-async", "psycopg3-pool"]
    assert opts.sizes.repeat == 3
    assert opts.sizes.calls == cli.FULL.calls
    assert opts.chart == Path("/tmp/out/concurrency.png")


@pytest.mark.parametrize(
    "argv", [["--repeat", "0"], ["--database", "oracle"], ["--contender", "x"]]
)
def test_bad_arguments_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.parse(argv)
    assert exit.value.code == 2
