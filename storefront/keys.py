"""System-generated composite keys, assigned by the sync triggers to whatever wrote the rows (storefront.effects)."""

import logging

from changeevents.bulk_sql import update_rows, write_each_alone
from changeevents.models import ChangeEvent
from changeevents.recording import record_bulk

from .models import OrderItem, PricebookEntry

logger = logging.getLogger(__name__)
KEYED = {PricebookEntry: ("pricebook", "product"), OrderItem: ("order",)}
KEY_FIELDS = {PricebookEntry: {"pricebook_id", "product_id", "currency"}, OrderItem: {"order_id", "line_number"}}


def pricebook_entry_key(entry: PricebookEntry) -> str:
    return f"{entry.pricebook.scid}|{entry.product.scid}|{entry.currency}"


def order_item_key(item: OrderItem) -> str:
    return f"{item.order.scid}|{item.line_number}"


def composite_key(instance) -> str:
    return pricebook_entry_key(instance) if isinstance(instance, PricebookEntry) else order_item_key(instance)


def assign_keys(model, pks) -> int:
    """Set the composite key of these price book entries or order lines from their current values, in one
    statement; returns how many changed. A key another record of the org already has is left unset (logged), so
    one clash never stops the write that announced the rows."""
    rows = list(model._default_manager.filter(pk__in=list(pks)).select_related(*KEYED[model]))
    changed = []
    for row in rows:
        key = composite_key(row)
        if row.composite_key != key:
            row.composite_key = key
            changed.append(row)

    def refused(row, exc) -> None:
        logger.warning(
            "%s %s: composite key %s is another record's; left unset", model.__name__, row.pk, row.composite_key
        )

    written = write_each_alone(changed, lambda rows: update_rows(model, rows, ["composite_key"]), refused)
    # the key goes to the org too: with the record's create, when that is still on its way, else as an update
    creating = set(
        ChangeEvent.objects.upstream()
        .open()
        .filter(model_label=model._meta.label_lower, object_pk__in=[r.pk for r in written], event_type="create")
        .values_list("object_pk", flat=True)
    )
    record_bulk([r for r in written if r.pk not in creating], ChangeEvent.EventType.UPDATE, ["composite_key"])
    return len(written)


def catch_up_composite_keys(org_id: int) -> int:
    """Keys skipped while the triggers were off; returns how many were assigned."""
    return sum(
        assign_keys(model, model.objects.filter(org_id=org_id, composite_key__isnull=True).values_list("pk", flat=True))
        for model in KEYED
    )
