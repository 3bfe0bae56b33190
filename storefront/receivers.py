"""The sync triggers on the website's side: composite keys, stock and media imports. They subscribe to the one
"records changed" announcement (changeevents.signals), which website saves, bulk loads and downstream applies
all send, so every path runs the same side effects. Each honours the org's switch; switching it back on catches
up what was skipped."""

from changeevents.failures import register_rerun
from changeevents.signals import RecordChanges, records_changed
from changeevents.triggers import triggers_switched

from . import inventory, keys, media
from .models import Order, OrderItem, Product


def records_changed_effects(sender, changes: RecordChanges, **kwargs) -> None:
    model = changes.model
    if model not in (*keys.KEYED, OrderItem, Order, Product) or not changes.triggers_enabled():
        return
    if model in keys.KEYED:
        keys.assign_keys(model, changes.touching(keys.KEY_FIELDS[model]))
    if model is OrderItem:
        inventory.reconcile_lines(changes.touching(inventory.STOCK_FIELDS))
    if model is Order:
        inventory.reconcile_lines(inventory.lines_of_orders(changes.touching({"status"})))
    if model in (OrderItem, Order) and changes.deleted:
        inventory.release_orphans(changes.org_id)
    if model is Product:
        media.queue_imports(changes.touching({"media_url"}))


def catch_up(sender, org, enabled, **kwargs):
    """Switched back on: do what was skipped while the triggers were off."""
    if not enabled:
        return
    keys.catch_up_composite_keys(org.pk)
    inventory.catch_up_inventory(org.pk)
    media.queue_imports(Product.objects.filter(org=org).exclude(media_url="").values_list("pk", flat=True))


def connect_trigger_receivers() -> None:
    records_changed.connect(records_changed_effects, dispatch_uid="scsync-trigger-effects")
    register_rerun(media.MEDIA_IMPORT_FAILED, media.rerun_import)  # re-syncing a failed import imports again
    triggers_switched.connect(catch_up, dispatch_uid="scsync-triggers-catch-up")
