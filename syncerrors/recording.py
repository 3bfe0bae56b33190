"""Turns the engine's failed and held events, and failed side effects, into SyncError rows (registered in
SyncErrorsConfig.ready)."""

from django.utils import timezone

from changeevents.failures import EventFailure, RecordProblem
from changeevents.models import ChangeEvent

from .alerts import alert_after_commit
from .counts import errors_changed
from .models import SyncError


def record_sync_errors(failures: list[EventFailure]) -> list[SyncError]:
    """One SyncError per failure; held ones point at the unresolved error of the event they wait behind."""
    roots = [_error(f) for f in failures if f.blocked_by is None]
    SyncError.objects.bulk_create(roots, batch_size=500)
    root_errors = _root_errors({f.blocked_by.pk for f in failures if f.blocked_by is not None})
    held = []
    for failure in failures:
        if failure.blocked_by is not None:
            error = _error(failure)
            error.held_by = root_errors.get(failure.blocked_by.pk)
            held.append(error)
    SyncError.objects.bulk_create(held, batch_size=500)
    errors_changed(e.held_by_id for e in held)
    alert_after_commit(roots)
    return roots + held


def _error(failure: EventFailure) -> SyncError:
    event = failure.event
    return SyncError(
        event=event,
        org_id=event.org_id,
        store_id=event.store_id,
        sobject=event.sobject,
        event_type=event.event_type,
        scid=event.scid,
        salesforce_id=event.salesforce_id,
        status_code=failure.status_code,
        message=failure.message,
        fields=list(failure.fields),
        raw_response=failure.raw_response,
        payload=failure.payload,
    )


def _root_errors(event_ids: set[int]) -> dict[int, SyncError]:
    if not event_ids:
        return {}
    errors = SyncError.objects.unresolved().filter(event_id__in=event_ids).order_by("created_at")
    return {error.event_id: error for error in errors}


def resolve_settled(event_ids: list[int]) -> int:
    """The engine settled these events' failures (the cause is gone): their open errors are resolved by the system."""
    errors = SyncError.objects.unresolved().filter(event_id__in=event_ids)
    roots = list(errors.values_list("held_by_id", flat=True))
    resolved = errors.update(resolved_at=timezone.now())
    if resolved:
        errors_changed(roots)
    return resolved


def record_problem(problem: RecordProblem) -> SyncError:
    """A failed side effect of a record: an error with no event, so it holds nothing back. Read again while one of
    the same record and code is unresolved, it refreshes that one instead of adding another."""
    open_ones = _open_problems(problem.org_id, problem.sobject, problem.scid, problem.status_code)
    error = open_ones.order_by("created_at").first() or SyncError(
        org_id=problem.org_id, sobject=problem.sobject, scid=problem.scid, status_code=problem.status_code
    )
    error.store_id, error.salesforce_id = problem.store_id, problem.salesforce_id
    error.event_type = ChangeEvent.EventType.UPDATE
    error.message, error.fields, error.payload = problem.message, list(problem.fields), problem.payload
    error.created_at = timezone.now()
    error.save()
    errors_changed()
    return error


def resolve_problems(org_id: int, sobject: str, scid: str, status_code: str) -> int:
    """The side effect worked: its record's open errors of that code are resolved (by nobody: by the system)."""
    resolved = _open_problems(org_id, sobject, scid, status_code).update(resolved_at=timezone.now())
    if resolved:
        errors_changed()
    return resolved


def _open_problems(org_id: int, sobject: str, scid: str, status_code: str):
    """A record's unresolved errors of one side-effect code (they have no event)."""
    return SyncError.objects.unresolved().filter(
        org_id=org_id, sobject=sobject, scid=scid, status_code=status_code, event=None
    )
