"""The bench command, run for real in a subprocess: figures printed, and the installation's own database left
exactly as it was (benchmarks work in a throwaway database)."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_prints_figures_and_leaves_the_installations_database_untouched(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "SCSYNC_"))}
    env.update(DJANGO_DEBUG="1", SCSYNC_ENV_FILE=str(tmp_path / "absent.env"), SCSYNC_VAR_DIR=str(tmp_path / "var"))
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    database = tmp_path / "var" / "scsync.sqlite3"
    before = hashlib.sha256(database.read_bytes()).hexdigest()

    runs = [
        subprocess.run([*manage, "bench", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        for args in (["bulk", "--records", "300"], ["downstream", "--records", "300"])
    ]

    assert [run.returncode for run in runs] == [0, 0], [run.stderr[-2000:] for run in runs]
    assert "Bulk API 2.0 upsert:" in runs[0].stdout and ", 0 failed" in runs[0].stdout
    assert "downstream: 300 rows applied" in runs[1].stdout
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert not (tmp_path / "var" / "bench.sqlite3").exists()
