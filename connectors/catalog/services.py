"""What the catalog admin's actions do, as services: each switches the connector's Beat row with its active flag,
queues the run after commit, and logs who asked (connectors.audit)."""

from __future__ import annotations

from django.db import transaction

from ..audit import log_change
from ..broker import publish
from ..models import CatalogConnector
from .runs import request_refresh

RUN_TASK = "connectors.catalog.tasks.run_connector_task"


def _queue_run(connector: CatalogConnector) -> None:
    transaction.on_commit(lambda: publish(RUN_TASK, args=[connector.pk]))


@transaction.atomic
def set_active(connectors, active: bool, user=None) -> int:
    """Activate (a paused run resumes) or deactivate (the run pauses after its small batch) each connector, and
    enable or disable its scheduled runs with it. Returns how many changed."""
    changed = []
    for connector in connectors:
        if connector.active != active:
            changed.append(connector)
        connector.active = active
        # a save, never queryset.update: its post_save receiver (schedules.connector_saved) switches the Beat row,
        # and repairs one left behind by an older update
        connector.save(update_fields=["active"])
        if active:
            _queue_run(connector)
    log_change(user, changed, "Activated." if active else "Deactivated.")
    return len(changed)


@transaction.atomic
def refresh(connectors, force: bool = False, user=None) -> int:
    """Queue a refresh (or a force refresh) of each connector and run it; returns how many were queued."""
    connectors = list(connectors)
    for connector in connectors:
        request_refresh(connector, force=force)
        _queue_run(connector)
    log_change(user, connectors, "Force refresh requested." if force else "Refresh requested.")
    return len(connectors)
