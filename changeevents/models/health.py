"""The engine's processes as the console sees them: a heartbeat row per worker and Beat process, and running totals
of how long sweeps, dispatches and polls took (for /metrics, from any process)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def stale_before(now=None):
    """A heartbeat older than this is stale (SCSYNC_HEARTBEAT_STALE_SECONDS)."""
    return (now or timezone.now()) - timedelta(seconds=settings.SCSYNC_HEARTBEAT_STALE_SECONDS)


class ProcessHeartbeatQuerySet(models.QuerySet):
    def alive(self, now=None):
        """Processes that beat within the stale time and did not stop: the one rule of /health/ and the dashboard."""
        return self.filter(stopped_at__isnull=True, last_beat_at__gte=stale_before(now))


class ProcessHeartbeat(models.Model):
    class Kind(models.TextChoices):
        WORKER = "worker", "Celery worker"
        BEAT = "beat", "Celery Beat"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200, unique=True, help_text="host:pid of the process.")
    started_at = models.DateTimeField()
    last_beat_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True, help_text="Set when it stopped cleanly.")

    objects = ProcessHeartbeatQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["kind", "last_beat_at"], name="heartbeat_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class RunDuration(models.Model):
    """How many runs of one kind (sweep, dispatch, poll) and their total seconds, since the installation began."""

    name = models.CharField(max_length=40, unique=True)
    count = models.PositiveBigIntegerField(default=0)
    total_seconds = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return self.name
