"""Turns the engine's failed and held events into SyncError rows (registered in SyncErrorsConfig.ready)."""

from changeevents.failures import EventFailure

from .models import SyncError


def record_sync_errors(failures: list[EventFailure]) -> list[SyncError]:
    """One SyncError per failure; held ones point at the unresolved error of the event they wait behind."""
    errors: list[SyncError] = []
    root_errors = _root_errors({f.blocked_by.pk for f in failures if f.blocked_by is not None})
    for failure in failures:
        event = failure.event
        error = SyncError(
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
        if failure.blocked_by is not None:
            error.held_by = root_errors.get(failure.blocked_by.pk)
        if failure.blocked_by is None:
            error.save()
            root_errors[event.pk] = error
        errors.append(error)
    SyncError.objects.bulk_create([e for e in errors if e.pk is None], batch_size=500)
    return errors


def _root_errors(event_ids: set[int]) -> dict[int, SyncError]:
    if not event_ids:
        return {}
    errors = SyncError.objects.unresolved().filter(event_id__in=event_ids).order_by("created_at")
    return {error.event_id: error for error in errors}
