"""Changes made while an org's sync triggers were off: recorded as "unsent" events, listed when the triggers come
back on (the admin's list and `sync_triggers on`), and sent when someone catches them up, or knowingly discarded.
Nothing changed while the triggers were off is dropped silently."""

from __future__ import annotations

from collections import Counter

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from connectors.audit import log_change
from connectors.models import SalesforceOrg

from .models import ChangeEvent
from .wakeups import wake_upstream_after_commit

Status = ChangeEvent.Status


class TriggersStillOff(Exception):
    """Catching up an org whose triggers are off would send what the switch is holding back."""


def unsent_by_object(org_id: int) -> dict[str, int]:
    """How many unsent changes an org has, per Salesforce object."""
    rows = ChangeEvent.objects.unsent().filter(org_id=org_id).values_list("sobject").annotate(n=Count("id"))
    return dict(rows.order_by("sobject"))


def describe_unsent(org: SalesforceOrg) -> str:
    """One line for `sync_triggers`: what waits to be caught up (empty when nothing does)."""
    counts = unsent_by_object(org.pk)
    if not counts:
        return ""
    listed = ", ".join(f"{sobject} {count}" for sobject, count in counts.items())
    return (
        f"{org.name}: {sum(counts.values())} changes made while the sync triggers were off are not sent ({listed}); "
        f'send them with `manage.py sync_triggers catch-up --org "{org.name}"` or from the admin\'s list'
    )


def catch_up(events, user=None) -> int:
    """Queue the given unsent changes (a queryset) for sending now; returns how many. Refused for an org whose
    triggers are off (TriggersStillOff names it)."""
    unsent = events.filter(status=Status.UNSENT)
    off = SalesforceOrg.objects.filter(pk__in=unsent.values("org_id"), triggers_enabled=False)
    names = ", ".join(off.values_list("name", flat=True))
    if names:
        raise TriggersStillOff(f"the sync triggers of {names} are off: switch them on first")
    return _settle(unsent, user, "Caught up {n} changes made while sync triggers were off.", send=True)


def discard(events, user=None) -> int:
    """Knowingly drop the given unsent changes (they are kept as superseded, with who discarded them)."""
    return _settle(
        events.filter(status=Status.UNSENT), user, "Discarded {n} changes made while sync triggers were off."
    )


def _settle(unsent, user, message: str, send: bool = False) -> int:
    with transaction.atomic():
        rows = list(unsent.select_for_update().values_list("pk", "org_id"))
        ids, per_org = [pk for pk, _ in rows], Counter(org for _, org in rows)
        now = timezone.now()
        chosen = ChangeEvent.objects.filter(pk__in=ids)
        if send:
            chosen.update(status=Status.PENDING, next_attempt_at=now)
            for org_id in per_org:
                wake_upstream_after_commit(org_id)
        else:
            who = f" by {user}" if user is not None else ""
            chosen.update(status=Status.SUPERSEDED, processed_at=now, last_message=f"Discarded{who}.")
        for org_id, count in per_org.items():
            log_change(user, SalesforceOrg.objects.filter(pk=org_id), message.format(n=count))
    return len(ids)
