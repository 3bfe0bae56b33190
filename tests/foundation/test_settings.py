"""Settings: clear errors for bad configuration, and production settings that pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "SCSYNC_TESTING"))}
    env.update({"DJANGO_SETTINGS_MODULE": "scsync_site.settings", "SCSYNC_VAR_DIR": str(ROOT / "var")})
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_settings_missing_secret_key_names_the_variable():
    result = run_manage("check", DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_settings_debug_allows_the_development_secret():
    result = run_manage("check", DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stderr


def test_settings_malformed_database_url_names_the_variable():
    result = run_manage("check", DJANGO_DEBUG="1", DATABASE_URL="not a url at all")

    assert result.returncode != 0
    assert "DATABASE_URL is malformed" in result.stderr


def test_settings_database_url_without_database_name_is_rejected():
    result = run_manage("check", DJANGO_DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/")

    assert result.returncode != 0
    assert "DATABASE_URL is malformed" in result.stderr


def test_settings_production_pass_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x7!" + "k" * 20 + "Q#9v" + "m" * 30 + "%zP2",
        ALLOWED_HOSTS="scsync.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
