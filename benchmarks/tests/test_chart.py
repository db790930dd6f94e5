import pytest

from benchmarks import chart

pytest.importorskip("matplotlib")


def test_draw_writes_a_small_png(tmp_path):
    path = tmp_path / "out" / "concurrency.png"
    series = {
        "pool": [[1, 400.0], [10, 3000.0]],
        "fork async": [[1, 300.0], [10, 310.0]],
    }
    chart.draw(series, path, "a title")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG")
    assert len(data) < 200_000


def test_main_reads_the_series_file(tmp_path):
    spec = tmp_path / "chart.json"
    spec.write_text('{"title": "t", "series": {"a": [[1, 1.0], [50, 2.0]]}}')
    assert chart.main([str(spec), str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.png").exists()
