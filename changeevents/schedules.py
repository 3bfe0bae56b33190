"""Beat schedules of the sync engine as django-celery-beat rows, created idempotently."""

import json

from django.conf import settings
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from connectors.models import SalesforceOrg

UPSTREAM_SWEEP = "scsync: upstream sweep"
RETENTION = "scsync: prune synced events"
TEN_MINUTES = 600


def _every(seconds: int) -> IntervalSchedule:
    return IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)[0]


def ensure_upstream_sweep() -> PeriodicTask:
    """The sweep that re-queues what a lost message or a killed worker left (every few seconds)."""
    return PeriodicTask.objects.update_or_create(
        name=UPSTREAM_SWEEP,
        defaults={
            "task": "changeevents.tasks.sweep_upstream_task",
            "interval": _every(settings.SCSYNC_SWEEP_INTERVAL_SECONDS),
            # `every` lets the task see a second Beat's duplicate run (changeevents/tasks.py)
            "kwargs": json.dumps({"every": settings.SCSYNC_SWEEP_INTERVAL_SECONDS}),
        },
    )[0]


def ensure_org_schedules(org: SalesforceOrg) -> list[PeriodicTask]:
    """An org's downstream polls: real-time objects every poll interval, price book entries and CPQ every 10 min,
    and the reconciliation that finds rows committed too late for a poll (hourly by default)."""
    schedules = [("realtime", org.poll_interval_seconds), ("ten_minutes", TEN_MINUTES)]
    reconcile_every = settings.SCSYNC_RECONCILE_INTERVAL_SECONDS
    reconcile = PeriodicTask.objects.update_or_create(
        name=f"scsync: downstream reconcile org {org.pk}",
        defaults={
            "task": "changeevents.tasks.reconcile_downstream_task",
            "interval": _every(reconcile_every),
            "args": json.dumps([org.pk]),
            "kwargs": json.dumps({"every": reconcile_every}),
            "enabled": True,
        },
    )[0]
    return [reconcile] + [
        PeriodicTask.objects.update_or_create(
            name=f"scsync: downstream {group} org {org.pk}",
            defaults={
                "task": "changeevents.tasks.poll_downstream_task",
                "interval": _every(seconds),
                "args": json.dumps([org.pk, group]),
                "kwargs": json.dumps({"every": seconds}),
                "enabled": True,
            },
        )[0]
        for group, seconds in schedules
    ]


def remove_org_schedules(org_id: int) -> None:
    PeriodicTask.objects.filter(name__startswith="scsync: downstream ", name__endswith=f" org {org_id}").delete()


def ensure_engine_schedules(sender=None, **kwargs) -> None:
    """post_migrate receiver: every schedule the engine needs exists (running it twice changes nothing)."""
    ensure_upstream_sweep()
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="17", hour="3", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.update_or_create(
        name=RETENTION, defaults={"task": "changeevents.tasks.prune_synced_events_task", "crontab": daily}
    )
    for org in SalesforceOrg.objects.all():
        ensure_org_schedules(org)


def org_saved(sender, instance, **kwargs) -> None:
    ensure_org_schedules(instance)


def org_deleted(sender, instance, **kwargs) -> None:
    remove_org_schedules(instance.pk)
