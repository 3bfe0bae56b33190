"""Is the engine alive? Worker and Beat processes write a heartbeat row every SCSYNC_HEARTBEAT_SECONDS from a thread
of their own (started by Celery's worker_ready and beat_init signals, connected in ChangeEventsConfig.ready); a
kind with no row fresher than SCSYNC_HEARTBEAT_STALE_SECONDS is down. Runs of the sweep, the dispatcher and the
poller add their duration to running totals, which /metrics reads."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from .models import ProcessHeartbeat, RunDuration

logger = logging.getLogger(__name__)
# Rows of processes gone this long are pruned by the next process that starts.
FORGET_AFTER = timedelta(days=1)


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(kind: str, name: str | None = None, started_at=None) -> None:
    now = timezone.now()
    ProcessHeartbeat.objects.update_or_create(
        name=name or process_name(),
        defaults={"kind": kind, "last_beat_at": now, "stopped_at": None},
        create_defaults={"kind": kind, "last_beat_at": now, "started_at": started_at or now},
    )


def stopped(name: str | None = None) -> None:
    ProcessHeartbeat.objects.filter(name=name or process_name()).update(stopped_at=timezone.now())


def latest_heartbeats(now=None) -> dict[str, tuple[ProcessHeartbeat | None, bool]]:
    """Per kind: its freshest row of the last day (None: never seen) and whether a process of it is alive."""
    now = now or timezone.now()
    rows = ProcessHeartbeat.objects.filter(last_beat_at__gte=now - FORGET_AFTER).order_by("kind", "-last_beat_at")
    alive = ProcessHeartbeat.objects.alive(now).filter(pk=OuterRef("pk"))
    found: dict[str, tuple[ProcessHeartbeat | None, bool]] = {kind: (None, False) for kind in ProcessHeartbeat.Kind}
    for row in rows.annotate(alive=Exists(alive)):
        latest, any_alive = found[row.kind]
        found[row.kind] = (latest or row, any_alive or row.alive)
    return found


class HeartbeatThread(threading.Thread):
    """Beats for this process until stopped; a database that is away makes it stale, never makes it crash."""

    def __init__(self, kind: str):
        super().__init__(name=f"scsync-heartbeat-{kind}", daemon=True)
        self.kind = kind
        self.process = process_name()
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        with contextlib.suppress(Exception):
            ProcessHeartbeat.objects.filter(last_beat_at__lt=timezone.now() - FORGET_AFTER).delete()
        while not self.stopping.is_set():
            try:
                beat(self.kind, self.process, self.started_at)
            except Exception as exc:  # the database is away: the row goes stale, which is the truth
                logger.warning("heartbeat of %s not written: %s", self.process, str(exc).splitlines()[0][:200])
            finally:
                close_old_connections()
            self.stopping.wait(settings.SCSYNC_HEARTBEAT_SECONDS)
        with contextlib.suppress(Exception):
            stopped(self.process)
        connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


_threads: dict[str, HeartbeatThread] = {}


def start_heartbeat(kind: str) -> None:
    if kind not in _threads:
        _threads[kind] = HeartbeatThread(kind)
        _threads[kind].start()


def stop_heartbeats() -> None:
    for kind in list(_threads):
        _threads.pop(kind).stop()


def on_worker_ready(**kwargs) -> None:
    start_heartbeat(ProcessHeartbeat.Kind.WORKER)


def on_beat_init(**kwargs) -> None:
    start_heartbeat(ProcessHeartbeat.Kind.BEAT)


def on_shutdown(**kwargs) -> None:
    stop_heartbeats()


@contextlib.contextmanager
def timed(name: str):
    """Add the block's duration to the running total `name` (sweep, dispatch, poll)."""
    started = time.monotonic()
    try:
        yield
    finally:
        observe(name, time.monotonic() - started)


def observe(name: str, seconds: float) -> None:
    runs = RunDuration.objects.filter(name=name)
    updated = runs.update(count=F("count") + 1, total_seconds=F("total_seconds") + seconds)
    if not updated:
        _, created = RunDuration.objects.get_or_create(name=name, defaults={"count": 1, "total_seconds": seconds})
        if not created:
            observe(name, seconds)
