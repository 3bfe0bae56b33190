"""Every change event and sync error carries the store of its record, whichever path made it (a website save, a
bulk load, a downstream apply), so a store's staff never see another store's records through them."""

import pytest

from changeevents.downstream import poll_org
from changeevents.models import ChangeEvent
from storefront.bulk.service import bulk_load
from storefront.models import Order
from syncerrors.models import SyncError
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff_of(store):
    user = UserFactory()
    store.managers.add(user)
    return user


def test_bulk_load_failures_carry_the_store_of_their_records(sf_org, tmp_path):
    first, second = StoreFactory(org=sf_org, name="A first"), StoreFactory(org=sf_org, name="B second")
    sf_org.emulator.control.add_rule(
        {"type": "validation", "object": "Lead", "condition": "LastName = 'Refused'", "message": "No Refused"}
    )
    path = tmp_path / "leads.csv"
    path.write_text("legacy_id,last_name,company\nL-1,Kept,Acme\nL-2,Refused,Secret Co\n")

    bulk_load(path, "Lead", sf_org, store=second, scid_column="legacy_id")

    error = SyncError.objects.get()
    assert error.store == second and error.event.store == second
    assert not SyncError.objects.visible_to(staff_of(first)).exists()
    assert list(SyncError.objects.visible_to(staff_of(second))) == [error]


def test_downstream_events_and_errors_carry_the_store_of_their_records(sf_org):
    first, second = StoreFactory(org=sf_org, name="A first"), StoreFactory(org=sf_org, name="B second")
    control = sf_org.emulator.control
    (account,) = control.create_records("Account", [{"Name": "Buyer"}])
    (order_id,) = control.create_records(
        "Order", [{"AccountId": account, "EffectiveDate": "2026-11-01", "Status": "Draft"}]
    )
    poll_org(sf_org.pk, sobjects=["Account", "Order"])
    order = Order.objects.get(salesforce_id=order_id)
    Order.objects.filter(pk=order.pk).update(store=second)  # the order belongs to the second store now
    control.update_records("Order", {order_id: {"Description": "Gift wrap"}})
    control.create_records("OrderItem", [{"OrderId": order_id, "Quantity": 1, "UnitPrice": 5, "Line_Number__c": -1}])

    poll_org(sf_org.pk, sobjects=["Order", "OrderItem"])

    update = ChangeEvent.objects.downstream().get(sobject="Order", event_type="update")
    error = SyncError.objects.get(sobject="OrderItem")
    created = ChangeEvent.objects.downstream().get(sobject="Order", event_type="create")
    assert created.store == first  # applied to the first active store, as the record was
    assert update.store == second
    assert error.status_code == "CANNOT_APPLY_DOWNSTREAM" and error.store == second
    assert not SyncError.objects.visible_to(staff_of(first)).exists()
    assert list(SyncError.objects.visible_to(staff_of(second))) == [error]


def test_an_error_of_an_object_that_always_has_a_store_is_never_shared_when_its_store_is_unknown(store):
    orphan = SyncError.objects.create(org=store.org, sobject="Order", event_type="update", status_code="X")
    shared = SyncError.objects.create(org=store.org, sobject="Contact", event_type="update", status_code="X")
    lead = SyncError.objects.create(org=store.org, sobject="Lead", event_type="update", status_code="X")

    visible = set(SyncError.objects.visible_to(staff_of(store)))

    assert visible == {shared, lead}  # a Lead may have no store (captured outside any); an Order never
    assert orphan.pk and orphan not in visible
