"""Recording change events: the outbox rows written in the same transaction as the website's change.

Signals cover save() and delete(). Bulk paths (bulk_create, queryset.update, queryset.delete of raw rows)
fire no signals: call `record_bulk()` with the affected instances inside the same transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .models import ChangeEvent
from .registry import SyncMapping, registry
from .signals import RecordChanges, announce
from .wakeups import wake_upstream_after_commit

SNAPSHOT_ATTR = "_sync_snapshot"
_suppressed: ContextVar[bool] = ContextVar("scsync_recording_suppressed", default=False)
_json = DjangoJSONEncoder()


@contextlib.contextmanager
def recording_suppressed() -> Iterator[None]:
    """Inside this block nothing is recorded: used by the downstream sync, so its writes make no echo."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def is_suppressed() -> bool:
    return _suppressed.get()


def jsonable(value):
    """A model value as JSON (dates and decimals as Django's encoder writes them)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return _json.default(value)


def snapshot(instance: models.Model, mapping: SyncMapping | None = None) -> dict:
    """The tracked field values of an instance, JSON-ready (what an update is compared against)."""
    mapping = mapping or registry.for_model(type(instance))
    return {name: jsonable(getattr(instance, name)) for name in mapping.tracked_fields}


def remember_snapshot(instance: models.Model) -> None:
    """Keep the tracked values as loaded; skipped when some are deferred (reading them would query)."""
    if not registry.is_registered(type(instance)):
        return
    mapping = registry.for_model(type(instance))
    if instance.get_deferred_fields().intersection(mapping.tracked_fields):
        return
    setattr(instance, SNAPSHOT_ATTR, snapshot(instance, mapping))


def store_id_of(instance: models.Model, mapping: SyncMapping) -> int | None:
    if not mapping.store_path:
        return None
    *path, last = mapping.store_path.split("__")
    target = instance
    for step in path:
        try:
            target = getattr(target, step, None)
        except ObjectDoesNotExist:  # a cascade deleted the parent first
            return None
        if target is None:
            return None
    return getattr(target, f"{last}_id", None)


def _should_record(instance: models.Model) -> SyncMapping | None:
    model = type(instance)
    if _suppressed.get() or not registry.is_registered(model):
        return None
    mapping = registry.for_model(model)
    return mapping if mapping.syncs_upstream else None


def _status(changes: RecordChanges) -> str:
    """Pending (sent at once) while the org's triggers are on; unsent (listed, sent when caught up) while off. The
    switch is read once per write: the side effects the write announces reuse it."""
    return ChangeEvent.Status.PENDING if changes.triggers_enabled() else ChangeEvent.Status.UNSENT


_STORE_OF_INSTANCE = object()


def build_event(
    instance, mapping: SyncMapping, event_type: str, changed: dict, status: str = "pending", store_id=_STORE_OF_INSTANCE
) -> ChangeEvent:
    """An upstream change event of `instance` (its store worked out along the mapping's path unless given)."""
    return ChangeEvent(
        status=status,
        org_id=instance.org_id,
        store_id=store_id_of(instance, mapping) if store_id is _STORE_OF_INSTANCE else store_id,
        direction=ChangeEvent.Direction.UPSTREAM,
        sobject=mapping.sobject,
        model_label=mapping.label,
        object_pk=instance.pk,
        event_type=event_type,
        changed_fields=changed,
        scid=instance.scid,
        salesforce_id=instance.salesforce_id,
    )


def record_save(sender, instance, created=False, raw=False, **kwargs) -> ChangeEvent | None:
    """post_save receiver: a create with every tracked field, or an update with only the changed ones; then the
    write is announced to the side effects (changeevents.signals). Under suppression it only refreshes the
    snapshot: whoever suppressed recording announces its own writes."""
    if raw or not registry.is_registered(type(instance)):
        return None
    mapping = registry.for_model(type(instance))
    current = snapshot(instance, mapping)
    previous = getattr(instance, SNAPSHOT_ATTR, None)
    setattr(instance, SNAPSHOT_ATTR, current)
    if _suppressed.get():
        return None
    changed = current if created else {k: v for k, v in current.items() if previous is None or previous.get(k) != v}
    changes = RecordChanges(type(instance), instance.org_id)
    event = None
    if mapping.syncs_upstream and changed:
        event_type = ChangeEvent.EventType.CREATE if created else ChangeEvent.EventType.UPDATE
        event = _save_event(build_event(instance, mapping, event_type, changed, _status(changes)))
    if created:
        changes.created.append(instance.pk)
    else:
        changes.updated[instance.pk] = set(changed)
    announce(changes)
    return event


def _save_event(event: ChangeEvent) -> ChangeEvent:
    event.save()
    if event.status == ChangeEvent.Status.PENDING:
        schedule_dispatch(event.org_id)
    return event


def record_delete(sender, instance, **kwargs) -> ChangeEvent | None:
    """post_delete receiver: a delete event carrying the SCID and Salesforce Id (the row is gone), announced."""
    mapping = _should_record(instance)
    if mapping is None:
        return None
    changes = RecordChanges(type(instance), instance.org_id, deleted=[instance.pk])
    event = _save_event(build_event(instance, mapping, ChangeEvent.EventType.DELETE, {}, _status(changes)))
    announce(changes)
    return event


def record_bulk(
    instances: Iterable[models.Model], event_type: str, changed_fields: Iterable[str] | None = None
) -> list[ChangeEvent]:
    """Record events for rows written by a bulk path (bulk_create, queryset.update), in one INSERT.

    Call it inside the transaction that wrote the rows. `changed_fields` limits an update's payload to
    those fields (default: every tracked field). Honours the triggers switch (unsent while off) and
    suppression like the receivers do. Returns the events written.
    """
    events: list[ChangeEvent] = []
    statuses: dict[int, str] = {}
    for instance in instances:
        mapping = _should_record(instance)
        if mapping is None:
            continue
        if instance.org_id not in statuses:
            statuses[instance.org_id] = _status(RecordChanges(type(instance), instance.org_id))
        values = snapshot(instance, mapping)
        if changed_fields is not None and event_type == ChangeEvent.EventType.UPDATE:
            wanted = {type(instance)._meta.get_field(f).attname for f in changed_fields}
            values = {k: v for k, v in values.items() if k in wanted}
        changed = {} if event_type == "delete" else values
        events.append(build_event(instance, mapping, event_type, changed, statuses[instance.org_id]))
    ChangeEvent.objects.bulk_create(events, batch_size=1000)
    for org_id in {e.org_id for e in events if e.status == ChangeEvent.Status.PENDING}:
        schedule_dispatch(org_id)
    return events


def schedule_dispatch(org_id: int) -> None:
    """After commit, wake the org's upstream dispatcher once (the outbox is the truth; the wake-up a hint)."""
    wake_upstream_after_commit(org_id)


def connect_receivers(models_to_track: Iterable[type[models.Model]]) -> None:
    from django.db.models.signals import post_delete, post_save

    for model in models_to_track:
        post_save.connect(record_save, sender=model, dispatch_uid=f"scsync-record-save-{model._meta.label_lower}")
        post_delete.connect(record_delete, sender=model, dispatch_uid=f"scsync-record-delete-{model._meta.label_lower}")
