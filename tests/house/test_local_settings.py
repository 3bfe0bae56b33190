"""Local development settings: `make run` writes .env once, manage.py reads it, and without it says what is missing."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make_env_file(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-C", str(folder), ".env"], capture_output=True, text=True)


def manage(*args, env_file: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "SCSYNC_"))}
    env.update({"SCSYNC_ENV_FILE": str(env_file), "SCSYNC_VAR_DIR": str(env_file.parent / "var")})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_make_writes_env_once_and_never_overwrites_it(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")

    first = make_env_file(tmp_path)

    assert first.returncode == 0, first.stderr
    written = (tmp_path / ".env").read_text()
    assert "DJANGO_DEBUG=1" in written.splitlines()
    assert f"SALESFORCE_EMULATOR_CONNECTION_FILE={tmp_path}/var/emulator/connection.json" in written
    assert f"SHOPIFY_DEMO_CA={tmp_path}/var/emulator/shop-ca.pem" in written
    assert "SHOPIFY_DEMO_TOKEN=shpat_local_demo" in written
    assert {"SCSYNC_ALLOW_LOOPBACK=1", "SCSYNC_MEDIA_ALLOW_LOCAL_URLS=1"} <= set(written.splitlines())

    # when someone edits it and make runs again
    (tmp_path / ".env").write_text(written + "LOG_LEVEL=DEBUG\n")
    second = make_env_file(tmp_path)

    assert second.returncode == 0
    assert (tmp_path / ".env").read_text() == written + "LOG_LEVEL=DEBUG\n"


def test_manage_reads_the_env_file_from_any_terminal(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    make_env_file(tmp_path)

    result = manage("check", env_file=tmp_path / ".env")

    assert result.returncode == 0, result.stderr


def test_manage_without_env_file_or_debug_prints_one_line_naming_the_secret_key(tmp_path):
    result = manage("sync_up", env_file=tmp_path / "absent.env")

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("manage.py: DJANGO_SECRET_KEY is not set")
    assert "Traceback" not in result.stderr
