"""The checks of /health/ (django-health-check) beyond its database check: the broker answers, and a worker and a
Beat process have written a heartbeat within SCSYNC_HEARTBEAT_STALE_SECONDS (changeevents.health)."""

import dataclasses

from celery import current_app
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from .models import ProcessHeartbeat


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (Redis, or the filesystem broker's folders)."""

    def run(self):
        try:
            with current_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise ServiceUnavailable(f"broker unreachable: {type(exc).__name__}") from exc


@dataclasses.dataclass
class _Heartbeat(HealthCheck):
    kind = ""

    async def run(self):  # async: the ORM runs in the request's thread (and its transaction, in tests)
        if not await ProcessHeartbeat.objects.alive().filter(kind=self.kind).aexists():
            label = ProcessHeartbeat.Kind(self.kind).label
            raise ServiceUnavailable(f"no {label} heartbeat within the stale time")


@dataclasses.dataclass
class WorkerHeartbeat(_Heartbeat):
    kind = ProcessHeartbeat.Kind.WORKER


@dataclasses.dataclass
class BeatHeartbeat(_Heartbeat):
    kind = ProcessHeartbeat.Kind.BEAT
