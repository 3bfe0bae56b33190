"""How an item looks to Shopify, which items a connector exports, and the hash that says whether it changed."""

from __future__ import annotations

import hashlib
import json

from .sources import CatalogItem

SHOPIFY_STATUS = {"visible": "ACTIVE", "draft": "DRAFT", "invisible": "ARCHIVED"}


def _split(text: str) -> set[str]:
    return {part.strip().lower() for part in (text or "").split(",") if part.strip()}


def exclusion(item: CatalogItem | None, config: dict) -> str:
    """Why the connector does not export this item ("" when it does)."""
    if item is None:
        return "no longer in the catalog"
    tags, families = _split(config.get("tags", "")), _split(config.get("families", ""))
    if tags and not tags & {t.lower() for t in item.tags}:
        return f"filtered out: no tag in {', '.join(sorted(tags))}"
    if families and item.family.lower() not in families:
        return f"filtered out: family {item.family or '(none)'} not in {', '.join(sorted(families))}"
    if config.get("status_option") == "only_visible" and item.status != "visible":
        return f"status {item.status}: only visible items are exported"
    return ""


def shopify_product(item: CatalogItem, config: dict) -> dict:
    """productSet input (rule 10: visible -> ACTIVE, draft -> DRAFT, invisible -> ARCHIVED)."""
    product = {
        "title": item.title,
        "handle": item.key.lower(),
        "descriptionHtml": item.description,
        "vendor": item.vendor,
        "productType": item.product_type or item.family,
        "status": SHOPIFY_STATUS.get(item.status, "DRAFT"),
        "tags": sorted(item.tags),
    }
    option_names = sorted({name for v in item.variants for name in v.get("options", {})})
    if item.variants and option_names:
        product["productOptions"] = [
            {
                "name": name,
                "values": [{"name": v} for v in sorted({x["options"].get(name, "-") for x in item.variants})],
            }
            for name in option_names
        ]
        product["variants"] = [
            {
                "sku": v.get("sku", ""),
                "price": str(v.get("price", "0")),
                "optionValues": [{"optionName": n, "name": v["options"].get(n, "-")} for n in option_names],
            }
            for v in item.variants
        ]
    return product


def data_hash(product: dict) -> str:
    """Rule 06: a hash of everything Shopify would hold of the item."""
    return hashlib.sha256(json.dumps(product, sort_keys=True).encode()).hexdigest()
