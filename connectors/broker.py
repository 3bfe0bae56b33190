"""Publishing to the Celery broker without making anyone wait on it.

A wake-up is a hint: the outbox rows and the sweep are the truth, so a save must never block or fail because the
broker is away. `publish()` sends once, with no retries, on a connection that tries once; while the broker is
unreachable it does not even try for SCSYNC_BROKER_RETRY_SECONDS after a failure, and it logs one warning per
outage (and one line when the broker is back), never a traceback per save.
"""

from __future__ import annotations

import logging
import threading
import time

from celery import current_app
from django.conf import settings
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT = 0.5  # seconds: a broker on the network answers a TCP connect far sooner


class _Outage:
    """Process-wide state of the broker as publishers saw it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.skipped = 0

    def skip(self) -> bool:
        """Whether to skip publishing now (the broker failed a moment ago)."""
        with self.lock:
            if self.down_since is not None and time.monotonic() < self.retry_at:
                self.skipped += 1
                return True
            return False

    def failed(self, exc: BaseException) -> None:
        with self.lock:
            now = time.monotonic()
            self.retry_at = now + settings.SCSYNC_BROKER_RETRY_SECONDS
            if self.down_since is None:
                self.down_since = now
                logger.warning("broker unreachable (%s): wake-ups wait for the sweep until it is back", exc)

    def succeeded(self) -> None:
        if self.down_since is None:
            return
        with self.lock:
            if self.down_since is not None:
                logger.warning(
                    "broker reachable again after %.0f s (%d wake-ups left to the sweep)",
                    time.monotonic() - self.down_since,
                    self.skipped,
                )
            self.down_since, self.skipped = None, 0


outage = _Outage()


def send(task_name: str, args: list | None = None, kwargs: dict | None = None) -> None:
    """One attempt on a connection of its own: kombu's shared connections retry connecting for seconds (sleeping
    2 s between tries) before they give up, which is right for a worker and wrong for a save."""
    app = current_app
    options = {"max_retries": 0}  # kombu's connect loop: one try
    with app.connection_for_write(connect_timeout=CONNECT_TIMEOUT, transport_options=options) as connection:
        app.send_task(task_name, args=args, kwargs=kwargs, retry=False, producer=app.amqp.Producer(connection))


def publish(task_name: str, args: list | None = None, kwargs: dict | None = None) -> bool:
    """Send a task by name once, without retrying; returns whether the broker took it."""
    if outage.skip():
        return False
    try:
        send(task_name, args, kwargs)
    except (KombuError, OSError) as exc:
        outage.failed(exc)
        return False
    outage.succeeded()
    return True
