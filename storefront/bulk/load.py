"""Loading checked rows into the website's records, with the org's sync triggers off for the load only."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from changeevents.bulk_sql import insert_rows, update_rows
from changeevents.registry import SyncMapping
from changeevents.signals import RecordChanges, announce
from changeevents.triggers import set_triggers
from storefront.scid import new_scid

from .rows import Row


@contextlib.contextmanager
def triggers_off(org, reason: str) -> Iterator[None]:
    """Switch the org's triggers off for the block; back to how they were in a finally (Ctrl-C too)."""
    was_on = org.triggers_enabled
    if was_on:
        set_triggers(org, False, reason=reason)
    try:
        yield
    finally:
        if was_on:
            set_triggers(org, True, reason=f"{reason} finished.")


def load_rows(org, mapping: SyncMapping, rows: list[Row], store=None) -> list:
    """Create or update one record per row, keyed by SCID (a second load of the same file duplicates
    nothing); returns the records, with pks."""
    model = mapping.model
    existing = {
        r.scid: r for r in model._default_manager.filter(org=org, scid__in=[row.scid for row in rows if row.scid])
    }
    creates, updates = [], []
    for row in rows:
        record = existing.get(row.scid)
        if record is None:
            record = model(org=org, scid=row.scid or new_scid(), **row.values)
            if store is not None and hasattr(record, "store_id"):
                record.store = store
            creates.append(record)
        else:
            for name, value in row.values.items():
                setattr(record, name, value)
            updates.append(record)
    with transaction.atomic():
        for start in range(0, len(creates), 2000):
            insert_rows(model, creates[start : start + 2000])
        now = timezone.now()
        for record in updates:
            record.updated_at = now
        if updates:
            update_rows(model, updates, [*rows[0].values, "updated_at"])  # attnames resolve too
        pks = dict(model._default_manager.filter(org=org, scid__in=[r.scid for r in creates]).values_list("scid", "pk"))
        for record in creates:
            record.pk = pks[record.scid]
        # the side effects hear of it like any write (while the load keeps the triggers off, switching them back
        # on catches up)
        announce(RecordChanges(model, org.pk, [r.pk for r in creates], {r.pk: set(rows[0].values) for r in updates}))
    return creates + updates
