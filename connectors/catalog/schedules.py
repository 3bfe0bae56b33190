"""Scheduled incremental runs per active connector, as django-celery-beat rows (created idempotently)."""

import json

from django_celery_beat.models import IntervalSchedule, PeriodicTask


def ensure_connector_schedule(connector) -> None:
    name = f"scsync: catalog connector {connector.pk}"
    every, _ = IntervalSchedule.objects.get_or_create(every=connector.interval_minutes, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": "connectors.catalog.tasks.scheduled_connector_task",
            "interval": every,
            "args": json.dumps([connector.pk]),
            # `every` (seconds) lets the task see a second Beat's duplicate run (connectors/leases.ran_recently)
            "kwargs": json.dumps({"every": connector.interval_minutes * 60}),
            "enabled": connector.active,
        },
    )


def connector_saved(sender, instance, **kwargs):
    ensure_connector_schedule(instance)  # a schedule only: editing a connector starts no run (rule 03)


def connector_deleted(sender, instance, **kwargs):
    PeriodicTask.objects.filter(name=f"scsync: catalog connector {instance.pk}").delete()
