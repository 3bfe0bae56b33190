"""Re-sync: put failed events, and the events they hold back, back in the queue and wake the dispatcher; a failed
side effect (an error with no event, such as MEDIA_IMPORT_FAILED) runs again."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from changeevents.failures import rerun_for
from changeevents.models import ChangeEvent
from changeevents.recording import schedule_dispatch
from connectors.audit import log_change

from .counts import errors_changed
from .models import SyncError


@dataclass
class ResyncResult:
    requeued: list[SyncError] = field(default_factory=list)
    still_held: list[SyncError] = field(default_factory=list)  # held behind an error that was not selected
    hidden_held: int = 0  # held errors in stores the user cannot see, left alone

    @property
    def requeued_count(self) -> int:
        return len(self.requeued)


def resync_errors(errors, user=None, duplicate_rule_bypass: bool = False) -> ResyncResult:
    """Re-queue the given unresolved errors and every error they hold back, among those `user` may see.

    A held error whose root was not selected stays held (re-sending it would only be held again) and is
    reported in `still_held`. A held error in a store the user cannot see is left alone and counted in
    `hidden_held`. Errors re-queued are marked resolved by `user`; a new failure makes a new error. Without a
    user (the `resync` command, run by whoever runs the installation) every error is in reach.
    """
    visible = SyncError.objects.unresolved()
    if user is not None:
        visible = visible.visible_to(user)
    selected = list(visible.filter(pk__in=[e.pk for e in errors]).select_related("held_by"))
    selected_ids = {e.pk for e in selected}
    result = ResyncResult()
    roots = []
    for error in selected:
        if error.held_by_id and error.held_by_id not in selected_ids and error.held_by.resolved_at is None:
            result.still_held.append(error)
        else:
            roots.append(error)
    held = _with_held(roots)
    visible_ids = set(visible.filter(pk__in=list(held)).values_list("pk", flat=True))
    to_requeue = [e for pk, e in held.items() if pk in visible_ids]
    result.hidden_held = len(held) - len(to_requeue)
    with transaction.atomic():
        now = timezone.now()
        SyncError.objects.filter(pk__in=[e.pk for e in to_requeue]).update(resolved_at=now, resolved_by=user)
        ChangeEvent.objects.filter(pk__in={e.event_id for e in to_requeue}).update(
            status=ChangeEvent.Status.PENDING,
            next_attempt_at=now,
            attempts=0,
            blocked_by=None,
            claimed_by="",
            claimed_until=None,
            duplicate_rule_bypass=duplicate_rule_bypass,
        )
        for org_id in {e.org_id for e in to_requeue if e.event_id}:
            schedule_dispatch(org_id)
        for error in to_requeue:
            rerun = rerun_for(error.status_code) if error.event_id is None else None
            if rerun is not None:  # a failed side effect (a media import): run it again
                rerun(error.org_id, error.sobject, error.scid)
        errors_changed([e.held_by_id for e in to_requeue] + [e.pk for e in to_requeue])
        log_change(user, to_requeue, "Re-synced" + (" allowing duplicates" if duplicate_rule_bypass else ""))
    result.requeued = to_requeue
    return result


def _with_held(roots: list[SyncError]) -> dict[int, SyncError]:
    """The roots and, transitively, every unresolved error they hold back (seen or not), by id."""
    found = {e.pk: e for e in roots}
    frontier = list(found)
    while frontier:
        children = list(SyncError.objects.unresolved().filter(held_by_id__in=frontier).exclude(pk__in=list(found)))
        frontier = [c.pk for c in children]
        found.update({c.pk: c for c in children})
    return found


def resync_status_code(status_code: str, errors_visible, user=None) -> ResyncResult:
    """Re-sync every unresolved error with this status code among those the user may see."""
    return resync_errors(list(errors_visible.unresolved().filter(status_code=status_code)), user=user)
