"""The mapping registry's order and the payloads the dispatcher sends."""

import datetime
from decimal import Decimal

import pytest

from changeevents.outcomes import backoff_seconds
from changeevents.payloads import build_payload
from changeevents.registry import ScheduleGroup, registry
from storefront.models import Order, OrderItem, PricebookEntry
from tests.factories import OrderItemFactory


def test_registry_orders_parents_first():
    order = [m.sobject for m in registry.parents_first()]

    assert order.index("Account") < order.index("Contact") < order.index("Order") < order.index("OrderItem")
    assert order.index("Product2") < order.index("PricebookEntry")
    assert order.index("Pricebook2") < order.index("PricebookEntry") < order.index("OrderItem")


def test_registry_pricebook_entries_and_cpq_are_in_the_ten_minute_group():
    ten_minutes = {m.sobject for m in registry.all() if m.schedule == ScheduleGroup.TEN_MINUTES}

    assert ten_minutes == {"PricebookEntry", "SBQQ__ProductOption__c"}
    assert registry.for_model(PricebookEntry).schedule == ScheduleGroup.TEN_MINUTES


def test_registry_relationship_names_for_external_id_references():
    item = registry.for_model(OrderItem)

    assert {p.lookup: p.relationship for p in item.parents} == {
        "OrderId": "Order",
        "Product2Id": "Product2",
        "PricebookEntryId": "PricebookEntry",
    }
    variant_parent = registry.for_sobject("Product_Variant__c").parents[0]
    assert variant_parent.relationship == "Product__r"


@pytest.mark.django_db
def test_payload_names_parents_by_external_id_and_converts_values():
    item = OrderItemFactory(quantity=Decimal("2.00"), unit_price=Decimal("9.95"), line_number=3)
    order = Order.objects.get(pk=item.order_id)
    order.effective_date = datetime.date(2026, 11, 24)

    item_payload = build_payload(item, registry.for_model(OrderItem))
    order_payload = build_payload(order, registry.for_model(Order))

    assert item_payload["External_ID__c"] == item.scid
    assert item_payload["Order"] == {"External_ID__c": item.order.scid}
    assert item_payload["Product2"] == {"External_ID__c": item.product.scid}
    assert item_payload["PricebookEntryId"] is None
    assert (item_payload["Quantity"], item_payload["UnitPrice"], item_payload["Line_Number__c"]) == (2.0, 9.95, 3)
    assert order_payload["EffectiveDate"] == "2026-11-24"
    assert order_payload["Account"] == {"External_ID__c": order.account.scid}
    assert order_payload["Description"] is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.SCSYNC_RETRY_BASE_SECONDS = 2
    settings.SCSYNC_RETRY_MAX_SECONDS = 60

    first = [backoff_seconds(1) for _ in range(50)]
    third = [backoff_seconds(3) for _ in range(50)]
    tenth = [backoff_seconds(10) for _ in range(50)]

    assert all(1 <= s < 3 for s in first)
    assert all(4 <= s < 12 for s in third)
    assert all(30 <= s < 90 for s in tenth)
    assert len(set(first)) > 1
