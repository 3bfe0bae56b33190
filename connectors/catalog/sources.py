"""Where catalog items come from: storefront registers a source (connectors imports no other app)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..models import CatalogConnector, ConnectorItemState


@dataclass
class CatalogItem:
    key: str
    title: str
    status: str  # visible / draft / invisible
    family: str = ""
    description: str = ""
    vendor: str = ""
    product_type: str = ""
    tags: set[str] = field(default_factory=set)  # the item's, its categories' and its variants' tags
    categories: list[str] = field(default_factory=list)
    variants: list[dict] = field(default_factory=list)  # {"title", "sku", "price", "options": {name: value}}


CatalogSource = Callable[[int, Iterable[str] | None], dict[str, CatalogItem]]
_source: list[CatalogSource] = []


def register_catalog_source(source: CatalogSource) -> None:
    _source[:] = [source]


def catalog_items(store_id: int, keys: Iterable[str] | None = None) -> dict[str, CatalogItem]:
    if not _source:
        raise RuntimeError("No catalog source is registered (storefront registers one in its AppConfig.ready).")
    return _source[0](store_id, keys)


def mark_items_changed(store_ids: Iterable[int], keys: Iterable[str], reason: str) -> int:
    """Queue items for every connector of these stores (rule 01: the item, a variant or a category changed)."""
    keys = list(dict.fromkeys(keys))
    marked = 0
    for connector_id in CatalogConnector.objects.filter(store_id__in=list(store_ids)).values_list("pk", flat=True):
        existing = set(
            ConnectorItemState.objects.filter(connector_id=connector_id, item_key__in=keys).values_list(
                "item_key", flat=True
            )
        )
        ConnectorItemState.objects.bulk_create(
            [
                ConnectorItemState(connector_id=connector_id, item_key=k, pending=True, pending_reason=reason)
                for k in keys
                if k not in existing
            ]
        )
        marked += ConnectorItemState.objects.filter(connector_id=connector_id, item_key__in=keys).update(
            pending=True, pending_reason=reason
        )
    return marked
