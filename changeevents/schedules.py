"""Beat schedules of the sync engine as django-celery-beat rows, created idempotently after migrate."""

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

UPSTREAM_SWEEP = "scsync: upstream sweep"


def ensure_upstream_sweep() -> PeriodicTask:
    """The sweep that re-queues what a lost message or a killed worker left (every few seconds)."""
    every, _ = IntervalSchedule.objects.get_or_create(
        every=settings.SCSYNC_SWEEP_INTERVAL_SECONDS, period=IntervalSchedule.SECONDS
    )
    task, _ = PeriodicTask.objects.update_or_create(
        name=UPSTREAM_SWEEP, defaults={"task": "changeevents.tasks.sweep_upstream_task", "interval": every}
    )
    return task


def ensure_engine_schedules(sender=None, **kwargs) -> None:
    """post_migrate receiver: every schedule the engine needs exists (running it twice changes nothing)."""
    ensure_upstream_sweep()
