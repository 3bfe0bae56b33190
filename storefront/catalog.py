"""What a store shows: the products in its price book."""

from django.db.models import Q

from connectors.models import Store

from .models import PricebookEntry, Product


def visible_products(store: Store):
    """Active products with an active entry in the store's price book (named by SCID or Salesforce Id)."""
    reference = store.pricebook_reference
    if not reference:
        return Product.objects.none()
    entries = PricebookEntry.objects.filter(
        Q(pricebook__scid=reference) | Q(pricebook__salesforce_id=reference), org=store.org, is_active=True
    )
    return Product.objects.filter(org=store.org, is_active=True, pk__in=entries.values("product_id"))
