from benchmarks import driver
from benchmarks.cli import QUICK
from benchmarks.contenders import REGISTRY, select

DATA = {
    "machine": {
        "date": "2026-11-26 02:00 UTC",
        "cores": 2,
        "cpu": "Some CPU",
        "load_before": [1.0, 1.0, 1.0],
        "load_after": [1.2, 1.0, 1.0],
        "seconds": 12.0,
    },
    "sizes": QUICK.as_json(),
    "servers": {"postgresql": "PostgreSQL 15.20"},
    "results": {
        "postgresql": {
            "fork-async": {
                "about": {"python": "3.11.7", "driver": "psycopg2 2.9.13"},
                "figures": {"concurrency": {"10": [0.004]}},
            },
            "psycopg3-pool": {
                "about": {"python": "3.11.7", "driver": "psycopg 3.3.9"},
                "figures": {"concurrency": {"10": [0.001]}},
            },
        }
    },
}


def test_render_names_the_machine_the_contenders_and_the_ratios():
    text = driver.render(DATA, select())
    assert "2 cores (Some CPU)" in text
    assert "load average [1.0, 1.0, 1.0] before" in text
    assert "- server: PostgreSQL 15.20" in text
    assert f"- {REGISTRY['fork-async'].label}: python 3.11.7" in text
    assert "| 10 in flight | 4.00 ms/query, 250 q/s (4.00x) |" in text
    assert "Per call" not in text  # no contender ran it


def test_cpu_model_is_a_string():
    assert driver.cpu_model()


def test_a_contender_lays_its_database_settings_over_the_default():
    from benchmarks import worker

    job = {
        "database": "sqlite",
        "sqlite_path": "/tmp/x.sqlite3",
        "database_settings": {"OPTIONS": {"timeout": 5}},
    }
    assert worker.database_settings(job) == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/tmp/x.sqlite3",
        "OPTIONS": {"timeout": 5},
    }
    del job["database_settings"]
    assert "OPTIONS" not in worker.database_settings(job)
