"""The store's catalog as the connectors see it, and the receivers that queue changed items (rule 01), whichever
path changed them."""

from django.db.models.signals import m2m_changed, post_delete

from changeevents.signals import RecordChanges, records_changed
from connectors.catalog.sources import CatalogItem, mark_items_changed, register_catalog_source
from connectors.models import Store

from .catalog import visible_products
from .models import Product, ProductCategory, ProductVariant


def _tags(text: str) -> set[str]:
    return {t.strip() for t in (text or "").split(",") if t.strip()}


def _options(text: str) -> dict:
    pairs = [p.split("=", 1) for p in (text or "").split(";") if "=" in p]
    return {name.strip(): value.strip() for name, value in pairs}


def store_catalog(store_id: int, keys=None) -> dict[str, CatalogItem]:
    """Products the store shows (its price book's, or every product of the org when it has none)."""
    store = Store.objects.get(pk=store_id)
    products = visible_products(store) if store.pricebook_reference else Product.objects.filter(org=store.org)
    if keys is not None:
        products = products.filter(scid__in=list(keys))
    items = {}
    for product in products.prefetch_related("variants", "categories"):
        categories = list(product.categories.all())
        variants = list(product.variants.all())
        tags = _tags(product.tags).union(*(_tags(c.tags) for c in categories), *(_tags(v.tags) for v in variants))
        items[product.scid] = CatalogItem(
            key=product.scid,
            title=product.name,
            status=product.visibility,
            family=product.family,
            description=product.description,
            vendor=store.name,
            product_type=product.family,
            tags=tags,
            categories=[c.name for c in categories],
            variants=[
                {
                    "title": v.name,
                    "sku": v.sku,
                    "price": str(v.price),
                    "options": _options(v.option_values) or {"Title": v.name},
                }
                for v in variants
            ],
        )
    return items


def _stores_of(org_id: int) -> list[int]:
    return list(Store.objects.filter(org_id=org_id).values_list("pk", flat=True))


REASONS = {Product: "product changed", ProductVariant: "variant changed", ProductCategory: "category changed"}


def items_changed(sender, changes: RecordChanges, **kwargs):
    """Created or updated products, variants and categories (a website save, a bulk load or a downstream apply:
    the one announcement) queue their products' items. Not a sync trigger: it runs whatever the org's switch."""
    if changes.model not in REASONS:
        return
    pks = [*changes.created, *changes.updated]
    if not pks:
        return
    products = {
        Product: Product.objects.filter(pk__in=pks),
        ProductVariant: Product.objects.filter(variants__pk__in=pks),
        ProductCategory: Product.objects.filter(categories__pk__in=pks),
    }[changes.model]
    scids = list(products.values_list("scid", flat=True).distinct())
    if scids:
        mark_items_changed(_stores_of(changes.org_id), scids, REASONS[changes.model])


def product_deleted(sender, instance, **kwargs):
    mark_items_changed(_stores_of(instance.org_id), [instance.scid], "product deleted")


def variant_deleted(sender, instance, **kwargs):
    product = Product.objects.filter(pk=instance.product_id).only("scid", "org_id").first()
    if product:
        mark_items_changed(_stores_of(product.org_id), [product.scid], "variant deleted")


def product_categories_changed(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, Product):
        mark_items_changed(_stores_of(instance.org_id), [instance.scid], "categories changed")


def connect_catalog_receivers() -> None:
    register_catalog_source(store_catalog)
    records_changed.connect(items_changed, dispatch_uid="scsync-catalog-items")
    # a delete of a row announces only its pk: these read the row itself (a downstream delete sends them too)
    post_delete.connect(product_deleted, sender=Product, dispatch_uid="scsync-catalog-product-delete")
    post_delete.connect(variant_deleted, sender=ProductVariant, dispatch_uid="scsync-catalog-variant-delete")
    m2m_changed.connect(
        product_categories_changed, sender=Product.categories.through, dispatch_uid="scsync-catalog-m2m"
    )
