"""Waking an org's upstream dispatcher: one queued wake-up per org, whatever the number of events.

Saves (after commit), the sweep and a dispatcher that used its share all come here. A per-org marker (a leased
key, connectors/leases.py) says a wake-up is queued; the task clears it when it starts, so changes made while it runs
queue exactly one more. The marker expires after two leases: a wake-up the broker lost is sent again by the next
sweep. The broker therefore holds messages in proportion to orgs, never to events.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from connectors.broker import publish
from connectors.leases import release, take_once

from .models import ChangeEvent

DISPATCH_TASK = "changeevents.tasks.dispatch_upstream_task"  # by name: the task module sits above this one


def _marker(org_id: int) -> str:
    return f"wake:upstream:{org_id}"


def wake_upstream(org_id: int) -> bool:
    """Queue a dispatch of the org unless one is queued already; returns whether a message was sent."""
    marker = _marker(org_id)
    if not take_once(marker, 2 * settings.SCSYNC_LEASE_SECONDS):
        return False
    if publish(DISPATCH_TASK, args=[org_id]):
        return True
    release(marker)  # not queued after all: leave the org to the next sweep
    return False


def wake_upstream_after_commit(org_id: int) -> None:
    """After the transaction commits, wake the org once (however many of its records the transaction wrote)."""
    connection = transaction.get_connection()
    if any(getattr(func, "scsync_org_id", None) == org_id for _, func, _ in connection.run_on_commit):
        return

    def wake() -> None:
        wake_upstream(org_id)

    wake.scsync_org_id = org_id
    transaction.on_commit(wake, robust=True)


def wake_taken(org_id: int) -> None:
    """The dispatch task started: a change from now on queues a new wake-up."""
    release(_marker(org_id))


def sweep() -> int:
    """Wake every org with due upstream events (those a lost message or a dead worker left); returns how many."""
    due = ChangeEvent.objects.upstream().due().order_by().values_list("org_id", flat=True).distinct()
    return sum(wake_upstream(org_id) for org_id in due)
