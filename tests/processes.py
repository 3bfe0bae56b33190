"""Real processes for the tests that need them (tests/faults/, tests/house/): a private redis-server, the
standalone emulated org, `celery worker` and `celery beat` subprocesses. Nothing here is a thread or a mock."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LEASE_SECONDS = 5  # SCSYNC_LEASE_SECONDS of every process in these tests (production default: 30)
SWEEP_SECONDS = 2  # SCSYNC_SWEEP_INTERVAL_SECONDS (production default: 5)
QUEUES = ("default", "upstream", "downstream", "media", "catalog")


def wait_for(predicate, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A subprocess in its own session (so a kill reaches its children), logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name, self.argv, self.env = name, argv, env
        self.log = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log.open("a") as out:
            self.popen = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def kill(self, sig=signal.SIGKILL) -> None:
        """Signal the whole process group (a prefork worker's children die with it, as under the OOM killer)."""
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout=30)

    def stop(self) -> int | None:
        """SIGTERM (SIGKILL after 20 s); returns the exit code."""
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.popen.returncode if self.popen else None


class RedisServer:
    """A private redis-server on a free port: stopped and restarted by the test, never the machine's own."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = Process(f"redis-{self.port}", argv, dict(os.environ), log_dir)

    def start(self) -> RedisServer:
        self.process.start()
        wait_for(self.ping, 15, "redis-server")
        return self

    def stop(self) -> None:
        self.process.stop()

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def ping(self) -> bool:
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False

    def queue_lengths(self) -> dict[str, int]:
        client = self.client()
        return {queue: client.llen(queue) for queue in QUEUES}

    def flush(self) -> None:
        self.client().flushdb()


class StandaloneOrg:
    """`python -m emulators.salesforce` as its own process, driven through its HTTP control API."""

    def __init__(self, log_dir: Path, connection_file: Path | None = None, env: dict | None = None):
        self.connection_file = connection_file or log_dir / "emulator" / "connection.json"
        argv = [sys.executable, "-m", "emulators.salesforce", "--port", "0", "--pubsub-port", "0"]
        argv += ["--connection-file", str(self.connection_file)]
        self.process = Process("emulated-org", argv, env or dict(os.environ), log_dir)
        self.connection: dict = {}

    def start(self) -> StandaloneOrg:
        self.process.start()
        wait_for(self.connection_file.exists, 30, "the emulated org's connection file")
        self.connection = json.loads(self.connection_file.read_text())
        return self

    def stop(self) -> int | None:
        return self.process.stop()

    def control(self, method: str, **arguments):
        url = f"{self.connection['instance_url']}/_emulator/{method}"
        token = {"X-Emulator-Token": self.connection["control_token"]}
        response = requests.post(url, json=arguments, headers=token, verify=self.connection["ca_file"], timeout=60)
        response.raise_for_status()
        return response.json()["result"]

    def records(self, sobject: str) -> list[dict]:
        return self.control("records", sobject=sobject)

    def env(self, prefix: str = "SF_FAULTS") -> dict:
        """The credentials an org with credentials_env_prefix=`prefix` reads (session auth, as in production)."""
        return {
            f"{prefix}_INSTANCE_URL": self.connection["instance_url"],
            f"{prefix}_SESSION_ID": self.connection["session_id"],
            f"{prefix}_CA_FILE": self.connection["ca_file"],
            f"{prefix}_CONSUMER_KEY": "scsync-faults",
            f"{prefix}_CONSUMER_SECRET": "scsync-faults-secret",
            f"{prefix}_PUBSUB_ENDPOINT": self.connection["pubsub_url"],
        }


class Installation:
    """Worker and Beat processes of one SCSync installation, on the test database, a broker and an org."""

    def __init__(self, database_url: str, broker: RedisServer, org: StandaloneOrg, log_dir: Path):
        self.log_dir = log_dir
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "SCSYNC_"))}
        self.env = {
            **base,
            **org.env(),
            "PATH": f"{BIN}:{base['PATH']}",
            "DJANGO_DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "scsync_site.settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker.url,
            "SCSYNC_ENV_FILE": str(log_dir / "absent.env"),
            "SCSYNC_VAR_DIR": str(log_dir / "var"),
            "SCSYNC_LEASE_SECONDS": str(LEASE_SECONDS),
            "SCSYNC_SWEEP_INTERVAL_SECONDS": str(SWEEP_SECONDS),
        }
        self.processes: list[Process] = []
        self._count = 0

    def _start(self, kind: str, argv: list[str], **env) -> Process:
        self._count += 1
        process = Process(f"{kind}-{self._count}", argv, {**self.env, **env}, self.log_dir).start()
        self.processes.append(process)
        return process

    def worker(self, concurrency: int = 2, queues: tuple[str, ...] = QUEUES, **env: str) -> Process:
        """A prefork worker, as production runs it; its database sessions are named scsync-worker."""
        argv = [str(BIN / "celery"), "-A", "scsync_site", "worker", "--loglevel", "INFO", "--pool", "prefork",
                "--concurrency", str(concurrency), "-Q", ",".join(queues), "--without-mingle", "--without-gossip",
                "--hostname", f"faults{self._count + 1}@%h"]  # fmt: skip
        process = self._start("worker", argv, PGAPPNAME="scsync-worker", **env)
        wait_for(lambda: "ready." in process.output(), 60, f"{process.name} to be ready")
        return process

    def beat(self, **env: str) -> Process:
        schedule = self.log_dir / f"beat-{self._count + 1}.schedule"
        argv = [str(BIN / "celery"), "-A", "scsync_site", "beat", "--loglevel", "INFO", "--schedule", str(schedule)]
        process = self._start("beat", argv, PGAPPNAME="scsync-beat", **env)
        wait_for(lambda: "beat: Starting" in process.output(), 60, f"{process.name} to start")
        return process

    def listener(self) -> Process:
        """`manage.py listen_changes`: the Change Data Capture subscriber; its database sessions are named so."""
        argv = [sys.executable, "manage.py", "listen_changes"]
        process = self._start("listener", argv, PGAPPNAME="scsync-listener")
        wait_for(lambda: "listening for change events" in process.output(), 60, f"{process.name} to start")
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def errors(self) -> list[str]:
        """Tracebacks and ERROR lines any process logged (a fault test expects warnings, never these)."""
        return [
            f"{p.name}: {line}"
            for p in self.processes
            for line in p.output().splitlines()
            if "Traceback" in line or " ERROR " in line or "CRITICAL" in line
        ]
