"""System-generated composite keys, assigned by the sync triggers."""

from .models import OrderItem, PricebookEntry


def pricebook_entry_key(entry: PricebookEntry) -> str:
    return f"{entry.pricebook.scid}|{entry.product.scid}|{entry.currency}"


def order_item_key(item: OrderItem) -> str:
    return f"{item.order.scid}|{item.line_number}"


def assign_composite_key(instance) -> None:
    """Set the composite key of a price book entry or order line from its current values."""
    if isinstance(instance, PricebookEntry):
        instance.composite_key = pricebook_entry_key(instance)
    elif isinstance(instance, OrderItem):
        instance.composite_key = order_item_key(instance)


def catch_up_composite_keys(org_id: int) -> int:
    """Keys skipped while the triggers were off; returns how many were assigned."""
    assigned = 0
    for model in (PricebookEntry, OrderItem):
        missing = model.objects.filter(org_id=org_id, composite_key__isnull=True)
        for instance in missing.select_related(*(["pricebook", "product"] if model is PricebookEntry else ["order"])):
            assign_composite_key(instance)
            model.objects.filter(pk=instance.pk).update(composite_key=instance.composite_key)
            assigned += 1
    return assigned
