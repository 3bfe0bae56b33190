"""make test's chromium step (scripts/ensure-chromium), run for real as a subprocess."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-chromium"


@pytest.fixture
def tmp_path():
    """A folder anyone may read (pytest's own is private to root), so an unprivileged user can run the copy."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)
        yield Path(folder)


def run_script(tmp_path, chromium: Path, as_nobody: bool):
    script = tmp_path / "ensure-chromium"
    shutil.copy(SCRIPT, script)
    script.chmod(0o755)
    command = [str(script)]
    if as_nobody and os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    env = {"PATH": os.environ["PATH"], "SCSYNC_CHROMIUM": str(chromium)}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_ensure_chromium_present_does_nothing(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)

    result = run_script(tmp_path, chromium, as_nobody=False)

    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == ""


def test_ensure_chromium_absent_and_not_root_prints_the_command(tmp_path):
    result = run_script(tmp_path, tmp_path / "no-chromium-here", as_nobody=True)

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "chromium is missing" in lines[0]
    assert "sudo apt-get install -y chromium chromium-driver" in lines[0]
