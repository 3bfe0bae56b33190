"""The sync triggers on the website's side: composite keys, media imports, stock. Each honours the org's switch."""

from django.db.models.signals import post_save, pre_delete, pre_save

from changeevents.signals import downstream_applied
from changeevents.triggers import triggers_enabled, triggers_switched

from . import inventory, keys, media
from .models import Order, OrderItem, PricebookEntry, Product


def assign_keys(sender, instance, raw=False, **kwargs):
    if not raw and triggers_enabled(instance.org_id):
        keys.assign_composite_key(instance)


def media_url_saved(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields and "media_url" not in update_fields):
        return
    if not instance.media_url:
        return  # most saves: no query at all
    # compare with what the last import took (the recorder has already refreshed its snapshot)
    latest = instance.media_imports.order_by("-created_at").values_list("source_url", flat=True).first()
    if instance.media_url != latest and triggers_enabled(instance.org_id):
        media.queue_import(instance)


def media_url_applied_downstream(sender, org_id, changes, **kwargs):
    if sender is not Product or not triggers_enabled(org_id):
        return
    pks = [pk for pk, fields in changes if "media_url" in fields]
    for product in Product.objects.filter(pk__in=pks).exclude(media_url=""):
        media.queue_import(product)


def order_line_saved(sender, instance, raw=False, **kwargs):
    if not raw and triggers_enabled(instance.org_id):
        inventory.reconcile_line(instance)


def order_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or created or not triggers_enabled(instance.org_id):
        return
    inventory.reconcile_order(instance)


def order_line_deleted(sender, instance, **kwargs):
    if triggers_enabled(instance.org_id):
        inventory.release_line(instance)


def catch_up(sender, org, enabled, **kwargs):
    """Switched back on: do what was skipped while the triggers were off."""
    if not enabled:
        return
    keys.catch_up_composite_keys(org.pk)
    inventory.catch_up_inventory(org.pk)
    for product in Product.objects.filter(org=org).exclude(media_url=""):
        latest = product.media_imports.order_by("-created_at").values_list("source_url", flat=True).first()
        if latest != product.media_url:
            media.queue_import(product)


def connect_trigger_receivers() -> None:
    pre_save.connect(assign_keys, sender=PricebookEntry, dispatch_uid="scsync-keys-pricebookentry")
    pre_save.connect(assign_keys, sender=OrderItem, dispatch_uid="scsync-keys-orderitem")
    post_save.connect(media_url_saved, sender=Product, dispatch_uid="scsync-media-product")
    downstream_applied.connect(media_url_applied_downstream, dispatch_uid="scsync-media-downstream")
    post_save.connect(order_line_saved, sender=OrderItem, dispatch_uid="scsync-stock-line")
    post_save.connect(order_saved, sender=Order, dispatch_uid="scsync-stock-order")
    pre_delete.connect(order_line_deleted, sender=OrderItem, dispatch_uid="scsync-stock-line-delete")
    triggers_switched.connect(catch_up, dispatch_uid="scsync-triggers-catch-up")
