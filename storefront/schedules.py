"""Beat schedules of the website's side as django-celery-beat rows, created idempotently."""

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

MEDIA_SWEEP = "scsync: media import sweep"


def ensure_media_sweep(sender=None, **kwargs) -> PeriodicTask:
    """post_migrate receiver: the sweep that re-queues media imports whose message was lost."""
    every, _ = IntervalSchedule.objects.get_or_create(
        every=settings.SCSYNC_MEDIA_SWEEP_AFTER_SECONDS, period=IntervalSchedule.SECONDS
    )
    return PeriodicTask.objects.update_or_create(
        name=MEDIA_SWEEP, defaults={"task": "storefront.tasks.sweep_media_task", "interval": every}
    )[0]
