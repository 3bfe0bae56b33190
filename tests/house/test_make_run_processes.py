"""make run's worker, Beat and change listener, as real processes started by honcho from Procfile.dev on the
embedded defaults: idle they log nothing at INFO, and Ctrl-C stops them without an ERROR line (real processes, not
threads)."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import StandaloneOrg, wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
IDLE_SECONDS = 12  # two and a bit of the 5 s sweep and poll cycles
STARTUP_NOISE = ("Connected to", "ready.", "beat: Starting", "Sync triggers", "subscribed to", "listening for")


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "SCSYNC_"))}
    env.update(
        {
            "PATH": f"{BIN}:{env['PATH']}",
            "DJANGO_DEBUG": "1",
            "SCSYNC_ENV_FILE": str(tmp_path / "absent.env"),
            "SCSYNC_VAR_DIR": str(tmp_path / "var"),
            "SALESFORCE_EMULATOR_CONNECTION_FILE": str(tmp_path / "var" / "emulator" / "connection.json"),
        }
    )
    return env


@pytest.fixture
def empty_org(embedded_env, tmp_path):
    """A standalone emulated org (no data, so every poll finds nothing) and a migrated SQLite database."""
    emulator = StandaloneOrg(
        tmp_path, connection_file=Path(embedded_env["SALESFORCE_EMULATOR_CONNECTION_FILE"]), env=embedded_env
    ).start()
    try:
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=embedded_env, check=True, timeout=120)
        create_org = (
            "from connectors.models import SalesforceOrg; "
            "SalesforceOrg.objects.create(name='Idle', use_change_data_capture=True)"
        )
        subprocess.run(
            [*manage, "shell", "-c", create_org],
            cwd=ROOT,
            env=embedded_env,
            check=True,
            timeout=60,
            capture_output=True,
        )
        yield emulator.connection
    finally:
        assert emulator.stop() == 0, emulator.process.output()


def test_make_run_worker_beat_and_listener_idle_quietly_and_stop_cleanly_on_ctrl_c(embedded_env, empty_org, tmp_path):
    log = tmp_path / "honcho.log"
    env_file = tmp_path / "empty.env"  # not the checkout's .env, which names make run's own emulator
    env_file.write_text("")
    with log.open("w") as out:
        honcho = subprocess.Popen(
            [str(BIN / "honcho"), "-f", "Procfile.dev", "-e", str(env_file), "start", "worker", "beat", "changes"],
            cwd=ROOT, env=embedded_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_for(
                lambda: all(n in log.read_text() for n in ("ready.", "beat: Starting", "subscribed to")),
                60,
                "worker, beat and the change listener's subscription",
            )
            started = len(log.read_text().splitlines())
            time.sleep(IDLE_SECONDS)
            idle_lines = log.read_text().splitlines()[started:]
        finally:
            honcho.send_signal(signal.SIGINT)  # what Ctrl-C in make run's terminal does
            code = honcho.wait(timeout=30)
    output = log.read_text()

    info = [line for line in idle_lines if " INFO " in line and not any(n in line for n in STARTUP_NOISE)]
    assert info == [], "\n".join(info)
    assert code == 130  # honcho's way out after SIGINT, once every process stopped (make run accepts it)
    assert "sending SIGKILL" not in output  # every process stopped within honcho's 5 s
    assert re.findall(r"(ERROR|Traceback|CRITICAL)", output) == [], output[-3000:]
    assert re.search(r"worker\.1\s+\| .*stopped \(rc=0\)|worker\.1 stopped \(rc=0\)", output), output[-2000:]
    assert "beat.1 stopped (rc=0)" in output
    assert "changes.1 stopped (rc=0)" in output
    # the worker consumes every queue (the banner lists them): one kind of work never waits behind another
    for queue in ("default", "upstream", "downstream", "media", "catalog"):
        assert re.search(rf"\.> {queue}\s+exchange={queue}", output), queue
