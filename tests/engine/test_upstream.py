"""Upstream sync against the emulated org over HTTPS: batches, links, failures, holds, retries, re-sync."""

import datetime

import pytest

from changeevents.models import ChangeEvent
from changeevents.upstream import dispatch_org
from storefront.models import Account, Contact, Order, OrderItem
from syncerrors.models import SyncError
from syncerrors.resync import resync_errors
from tests.factories import AccountFactory, ContactFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def retry_at_once(settings):
    settings.SCSYNC_RETRY_BASE_SECONDS = 0
    settings.SCSYNC_RETRY_MAX_SECONDS = 0


def records(sf_org, sobject):
    return {r["External_ID__c"]: r for r in sf_org.emulator.control.records(sobject)}


def place_order(store, contact, products):
    order = Order.objects.create(
        org=store.org,
        store=store,
        account=contact.account,
        bill_to_contact=contact,
        effective_date=datetime.date(2026, 11, 24),
    )
    for line, product in enumerate(products, start=1):
        OrderItem.objects.create(
            org=store.org, order=order, product=product, quantity=line, unit_price=10, line_number=line
        )
    return order


def test_upstream_order_with_items_contact_and_account_in_one_dispatch(sf_org, sf_store):
    # given
    contact = ContactFactory(account__org=sf_org, org=sf_org)
    products = ProductFactory.create_batch(3, org=sf_org)
    order = place_order(sf_store, contact, products)
    calls_before = sf_org.emulator.control.call_count()

    # when
    summary = dispatch_org(sf_org.pk)

    # then: one Collections call per object (Account, Contact, Product2, Order, OrderItem)
    assert summary.failed == 0 and summary.held == 0
    assert sf_org.emulator.control.call_count() - calls_before == 5
    accounts, contacts = records(sf_org, "Account"), records(sf_org, "Contact")
    orders, items = records(sf_org, "Order"), records(sf_org, "OrderItem")
    account_id = accounts[contact.account.scid]["Id"]
    assert contacts[contact.scid]["AccountId"] == account_id
    assert orders[order.scid]["AccountId"] == account_id
    assert orders[order.scid]["BillToContactId"] == contacts[contact.scid]["Id"]
    assert len(items) == 3
    assert {i["OrderId"] for i in items.values()} == {orders[order.scid]["Id"]}
    order.refresh_from_db()
    assert order.salesforce_id == orders[order.scid]["Id"]
    assert not ChangeEvent.objects.upstream().exclude(status__in=["synced", "superseded"]).exists()
    assert ChangeEvent.objects.filter(model_label="storefront.order", event_type="update").count() == 0


def test_upstream_failure_holds_later_changes_and_children_until_resync(sf_org, sf_store):
    # given a validation rule that rejects this contact
    sf_org.emulator.control.add_rule(
        {
            "type": "validation",
            "object": "Contact",
            "condition": "LastName = 'Blocked'",
            "message": "Contacts named Blocked are not allowed",
        }
    )
    contact = ContactFactory(account__org=sf_org, org=sf_org, last_name="Blocked")
    dispatch_org(sf_org.pk)
    root = SyncError.objects.get()
    assert root.status_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert "Blocked are not allowed" in root.message
    assert root.payload["LastName"] == "Blocked"

    # when the contact is edited and orders something
    contact = Contact.objects.get(pk=contact.pk)
    contact.phone = "555-0100"
    contact.save()
    order = place_order(sf_store, contact, [])
    dispatch_org(sf_org.pk)

    # then the edit and the order are held behind the root error
    held = {e.sobject: e for e in SyncError.objects.exclude(pk=root.pk)}
    assert held["Contact"].status_code == "INVALID_CHANGE_EVENT"
    assert held["Order"].status_code == "INVALID_FIELD"
    assert held["Contact"].held_by == root and held["Order"].held_by == root
    assert contact.scid not in records(sf_org, "Contact")
    assert order.scid not in records(sf_org, "Order")

    # when the rule is removed and the root error is re-synced
    sf_org.emulator.control.clear_rules()
    result = resync_errors([root])
    dispatch_org(sf_org.pk)

    # then all three are synced
    assert result.requeued_count == 3
    assert records(sf_org, "Contact")[contact.scid]["Phone"] == "555-0100"
    assert order.scid in records(sf_org, "Order")
    assert not SyncError.objects.unresolved().exists()
    assert not ChangeEvent.objects.upstream().unresolved().exists()


def test_upstream_unable_to_lock_row_twice_syncs_on_third_attempt(sf_org):
    account = AccountFactory(org=sf_org)
    sf_org.emulator.control.add_rule({"type": "row_lock", "object": "Account", "next_writes": 2})

    summary = dispatch_org(sf_org.pk)

    assert account.scid in records(sf_org, "Account")
    event = ChangeEvent.objects.get(model_label="storefront.account")
    assert event.status == "synced"
    assert event.delivery_attempts.count() == 3
    assert [a.status_code for a in event.delivery_attempts.all()] == ["UNABLE_TO_LOCK_ROW", "UNABLE_TO_LOCK_ROW", ""]
    assert summary.retried == 2
    assert not SyncError.objects.exists()


def test_upstream_response_lost_after_apply_makes_no_duplicate(sf_org):
    account = AccountFactory(org=sf_org)
    sf_org.emulator.control.inject_fault({"type": "response_lost", "count": 1})

    dispatch_org(sf_org.pk)

    matches = [r for r in sf_org.emulator.control.records("Account") if r["External_ID__c"] == account.scid]
    assert len(matches) == 1
    assert ChangeEvent.objects.get(model_label="storefront.account").status == "synced"
    account.refresh_from_db()
    assert account.salesforce_id == matches[0]["Id"]


def test_upstream_poison_record_fails_alone_others_flow(sf_org):
    sf_org.emulator.control.add_rule(
        {"type": "validation", "object": "Account", "condition": "Name = 'Poison'", "message": "No poison"}
    )
    good = AccountFactory.create_batch(5, org=sf_org)
    bad = AccountFactory(org=sf_org, name="Poison")

    summary = dispatch_org(sf_org.pk)

    assert summary.synced == 5 and summary.failed == 1
    assert set(records(sf_org, "Account")) == {a.scid for a in good}
    assert SyncError.objects.get().scid == bad.scid


def test_upstream_delete_goes_by_id_and_unsynced_delete_needs_no_call(sf_org):
    synced = AccountFactory(org=sf_org)
    dispatch_org(sf_org.pk)
    never_synced = AccountFactory(org=sf_org)
    Account.objects.get(pk=never_synced.pk).delete()
    Account.objects.get(pk=synced.pk).delete()
    calls_before = sf_org.emulator.control.call_count()

    dispatch_org(sf_org.pk)

    assert sf_org.emulator.control.call_count() - calls_before == 1
    assert synced.scid not in records(sf_org, "Account")
    assert not ChangeEvent.objects.upstream().exclude(status__in=["synced", "superseded"]).exists()


def test_upstream_request_limit_pauses_sending_and_fails_nothing(sf_org):
    AccountFactory(org=sf_org)
    sf_org.emulator.control.set_api_limit(remaining=0)

    summary = dispatch_org(sf_org.pk)

    sf_org.refresh_from_db()
    assert summary.paused_until is not None and sf_org.sending_paused_until is not None
    assert ChangeEvent.objects.get().status == "pending"
    assert not SyncError.objects.exists()


def test_upstream_expired_session_reauthenticates_once_and_retries(sf_org):
    account = AccountFactory(org=sf_org)
    sf_org.emulator.control.expire_sessions()

    summary = dispatch_org(sf_org.pk)

    assert summary.synced == 1
    assert account.scid in records(sf_org, "Account")


def test_upstream_partial_batch_failure_keeps_the_good_196_and_retries_the_locked_one(sf_org):
    # given 200 accounts: 3 rejected by a validation rule, 1 locked for its next write
    sf_org.emulator.control.add_rule(
        {"type": "validation", "object": "Account", "condition": "Name LIKE 'Bad%'", "message": "No bad accounts"}
    )
    sf_org.emulator.control.add_rule(
        {"type": "row_lock", "object": "Account", "condition": "Name = 'Locked'", "next_writes": 1}
    )
    AccountFactory.create_batch(196, org=sf_org)
    bad = [AccountFactory(org=sf_org, name=f"Bad {n}") for n in range(3)]
    AccountFactory(org=sf_org, name="Locked")
    calls_before = sf_org.emulator.control.call_count()

    # when
    summary = dispatch_org(sf_org.pk)

    # then: 196 synced at once, 3 sync errors with code/message/fields/payload, the locked one synced on retry,
    # and only the locked record was sent again (one more call of one record)
    assert summary.synced == 197 and summary.failed == 3 and summary.retried == 1
    assert sf_org.emulator.control.call_count() - calls_before == 2
    errors = SyncError.objects.order_by("scid")
    assert [e.scid for e in errors] == sorted(a.scid for a in bad)
    assert {(e.status_code, e.message) for e in errors} == {("FIELD_CUSTOM_VALIDATION_EXCEPTION", "No bad accounts")}
    assert all(e.payload["Name"].startswith("Bad") for e in errors)
    assert len(records(sf_org, "Account")) == 197


def test_upstream_a_value_longer_than_the_orgs_field_is_a_string_too_long_error_with_its_fix(sf_org, admin_client):
    """The website keeps 254-character emails; Salesforce's Email field holds 80. The stricter emulated org says so,
    the contact fails alone, and the console tells the store what to do about it."""
    from django.urls import reverse

    from syncerrors.status_codes import UNKNOWN, status_code_info

    account = AccountFactory(org=sf_org)
    fine = ContactFactory(org=sf_org, account=account)
    long_email = ContactFactory(org=sf_org, account=account, email="a" * 80 + "@example.com")

    summary = dispatch_org(sf_org.pk)

    error = SyncError.objects.get()
    assert summary.failed == 1 and error.scid == long_email.scid
    assert (error.status_code, error.fields) == ("STRING_TOO_LONG", ["Email"])
    assert set(records(sf_org, "Contact")) == {fine.scid}
    entry = status_code_info("STRING_TOO_LONG")
    assert entry is not UNKNOWN and not entry.transient
    page = admin_client.get(reverse("admin:syncerrors_syncerror_info", args=[error.pk])).content.decode()
    assert entry.resolution[0] in page


def test_upstream_a_call_refused_whole_for_one_unreadable_value_fails_only_that_record(
    sf_org, emulated_org, org_schema
):
    """Salesforce reads a whole Collections body before writing: one value its field's type cannot read (here the
    org's admin made SKU__c a number field) refuses the call with JSON_PARSER_ERROR. The engine splits the call, so
    the readable variants sync and only the unreadable one becomes an error."""
    from tests.factories import ProductVariantFactory

    org_schema["objects"]["Product_Variant__c"]["fields"]["SKU__c"] = {"type": "double"}
    emulated_org.control.load_schema(org_schema)
    product = ProductFactory(org=sf_org)
    readable = [ProductVariantFactory(org=sf_org, product=product, sku=sku) for sku in ("1001", "1002", "1003")]
    unreadable = ProductVariantFactory(org=sf_org, product=product, sku="AB-1")

    summary = dispatch_org(sf_org.pk)

    error = SyncError.objects.get()
    assert (summary.synced, summary.failed) == (4, 1)  # the product and three variants; one variant fails
    assert (error.scid, error.status_code) == (unreadable.scid, "JSON_PARSER_ERROR")
    assert set(records(sf_org, "Product_Variant__c")) == {v.scid for v in readable}
