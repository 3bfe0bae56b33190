"""The org's deletes, undeletes and merges, raced with website edits: no stub record, no wiped field, children
re-linked, both sides agreeing field by field.

Against the emulated org (a real HTTPS server in this process); the Change Data Capture cases subscribe in the
test's thread to its real gRPC server.
"""

import pytest

from changeevents.downstream import poll_org
from changeevents.models import ChangeEvent
from changeevents.upstream import dispatch_org
from storefront.models import Account, Asset, Contact, Order
from syncerrors.models import SyncError
from syncerrors.status_codes import status_code_info
from tests.downstream.test_change_data_capture import listen, subscribed
from tests.factories import AccountFactory, AssetFactory, ContactFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _live(org, sobject):
    return org.emulator.control.records(sobject)


def _synced_account(org, **values):
    account = AccountFactory(org=org, **values)
    dispatch_org(org.pk)
    return Account.objects.get(pk=account.pk)


def _edit(record, **values):
    record = type(record).objects.get(pk=record.pk)
    for name, value in values.items():
        setattr(record, name, value)
    record.save()
    return record


def _deleted_in_org_then_edited_here(org, poll_first: bool):
    """An account the org deleted while the website changed its phone; returns it and its Salesforce Id."""
    account = _synced_account(org, phone="111", billing_city="Perth")
    org.emulator.control.delete_records("Account", [account.salesforce_id])
    _edit(account, phone="222")
    steps = [lambda: poll_org(org.pk), lambda: dispatch_org(org.pk)]
    for step in steps if poll_first else reversed(steps):
        step()
    return account, account.salesforce_id


@pytest.mark.parametrize("poll_first", [True, False], ids=["poll-first", "push-first"])
def test_a_website_edit_of_a_record_the_org_deleted_is_an_error_and_writes_nothing(sf_org, poll_first):
    account, sfid = _deleted_in_org_then_edited_here(sf_org, poll_first)

    [error] = SyncError.objects.unresolved()
    assert (error.status_code, error.salesforce_id) == ("ENTITY_IS_DELETED", sfid)
    assert "Recycle Bin" in " ".join(status_code_info(error.status_code).resolution)
    assert _live(sf_org, "Account") == [], "no stub record"
    assert len(sf_org.emulator.control.records("Account", include_deleted=True)) == 1
    kept = Account.objects.get(pk=account.pk)
    assert (kept.phone, kept.billing_city) == ("222", "Perth"), "no wiped field"


def test_restoring_it_in_the_org_sends_the_website_edit_to_the_same_record(sf_org):
    account, sfid = _deleted_in_org_then_edited_here(sf_org, poll_first=False)

    sf_org.emulator.control.undelete_records("Account", [sfid])
    poll_org(sf_org.pk)
    dispatch_org(sf_org.pk)

    [row] = _live(sf_org, "Account")
    website = Account.objects.get(pk=account.pk)
    assert (row["Id"], row["Phone"], row["BillingCity"], row["External_ID__c"]) == (
        sfid,
        website.phone,
        website.billing_city,
        website.scid,
    )
    assert website.phone == "222"
    assert not SyncError.objects.unresolved().exists()


def test_deleting_it_here_settles_the_error_and_both_sides_have_it_deleted(sf_org):
    account, sfid = _deleted_in_org_then_edited_here(sf_org, poll_first=True)

    Account.objects.get(pk=account.pk).delete()
    summary = dispatch_org(sf_org.pk)

    assert summary.synced == 1 and summary.failed == 0
    assert not Account.objects.filter(pk=account.pk).exists()
    assert _live(sf_org, "Account") == []
    assert not SyncError.objects.unresolved().exists()
    assert not ChangeEvent.objects.upstream().unresolved().exists()


def test_an_account_deleted_and_undeleted_in_the_org_comes_back_with_its_children_linked(sf_org, sf_store):
    control = sf_org.emulator.control
    account = _synced_account(sf_org, name="Round Trip", phone="111")
    contacts = [ContactFactory(account=account, org=sf_org) for _ in range(2)]
    asset = AssetFactory(account=account, org=sf_org, store=sf_store)
    dispatch_org(sf_org.pk)
    poll_org(sf_org.pk)

    control.delete_records("Account", [account.salesforce_id])  # Salesforce deletes its contacts with it
    poll_org(sf_org.pk)
    assert not Account.objects.filter(org=sf_org).exists() and not Contact.objects.filter(org=sf_org).exists()
    assert Asset.objects.get(pk=asset.pk).account_id is None
    unlinked = ChangeEvent.objects.downstream().filter(model_label="storefront.asset", object_pk=asset.pk)
    assert list(unlinked.values_list("changed_fields", flat=True)) == [{"account_id": None}]

    control.undelete_records("Account", [account.salesforce_id])
    poll_org(sf_org.pk)

    restored = Account.objects.get(org=sf_org)
    assert (restored.salesforce_id, restored.scid, restored.phone) == (account.salesforce_id, account.scid, "111")
    assert sorted(Contact.objects.filter(account=restored).values_list("scid", flat=True)) == sorted(
        c.scid for c in contacts
    )
    assert Asset.objects.get(pk=asset.pk).account_id == restored.pk
    [org_asset] = _live(sf_org, "Asset")
    assert org_asset["AccountId"] == restored.salesforce_id
    assert not SyncError.objects.unresolved().exists()


def test_a_merge_in_the_org_moves_the_losers_website_children_to_the_winner(sf_org, sf_store):
    control = sf_org.emulator.control
    winner, loser = (_synced_account(sf_org, name=name) for name in ("Winner Co", "Loser Co"))
    loser_contact = ContactFactory(account=loser, org=sf_org)
    loser_order = OrderFactory(account=loser, store=sf_store, org=sf_org)
    dispatch_org(sf_org.pk)
    poll_org(sf_org.pk)  # the cursors start here: the org's silent reparenting is not read by a later poll

    control.merge_records("Account", winner.salesforce_id, [loser.salesforce_id], {"Phone": "999"})
    poll_org(sf_org.pk)

    assert list(Account.objects.filter(org=sf_org).values_list("pk", "phone")) == [(winner.pk, "999")]
    assert Contact.objects.get(pk=loser_contact.pk).account_id == winner.pk
    assert Order.objects.get(pk=loser_order.pk).account_id == winner.pk
    [delete] = ChangeEvent.objects.downstream().filter(event_type="delete")
    assert delete.changed_fields["MasterRecordId"] == winner.salesforce_id
    moved = ChangeEvent.objects.downstream().exclude(model_label="storefront.account")
    assert {(e.model_label, tuple(e.changed_fields.items())) for e in moved} == {
        ("storefront.contact", (("account_id", winner.pk),)),
        ("storefront.order", (("account_id", winner.pk),)),
    }
    # both sides agree: the org moved its children too
    [org_contact] = _live(sf_org, "Contact")
    assert org_contact["AccountId"] == winner.salesforce_id
    [org_order] = _live(sf_org, "Order")
    assert org_order["AccountId"] == winner.salesforce_id
    _edit(Contact.objects.get(pk=loser_contact.pk), phone="555")
    dispatch_org(sf_org.pk)
    assert _live(sf_org, "Contact")[0]["Phone"] == "555" and len(_live(sf_org, "Contact")) == 1


def test_change_data_capture_applies_a_merge_and_an_undelete_with_children(sf_org):
    sf_org.emulator.control.set_timings(pubsub_keepalive_seconds=0.2)
    control = sf_org.emulator.control
    winner, loser = (_synced_account(sf_org, name=name) for name in ("CDC Winner", "CDC Loser"))
    contact = ContactFactory(account=loser, org=sf_org)
    dispatch_org(sf_org.pk)
    subscribed(sf_org)

    control.merge_records("Account", winner.salesforce_id, [loser.salesforce_id])
    listen(sf_org, lambda: not Account.objects.filter(pk=loser.pk).exists())
    assert Contact.objects.get(pk=contact.pk).account_id == winner.pk

    control.delete_records("Account", [winner.salesforce_id])
    listen(sf_org, lambda: not Account.objects.filter(pk=winner.pk).exists())
    control.undelete_records("Account", [winner.salesforce_id])
    listen(sf_org, lambda: Contact.objects.filter(scid=contact.scid, account__scid=winner.scid).exists())
    assert Account.objects.get(scid=winner.scid).salesforce_id == winner.salesforce_id


def test_downstream_events_carry_what_salesforce_changed_and_the_info_view_shows_it(sf_org, admin_client):
    from django.urls import reverse

    control = sf_org.emulator.control
    account = _synced_account(sf_org, name="Shown Co", phone="111")
    poll_org(sf_org.pk)
    control.update_records("Account", {account.salesforce_id: {"Phone": "999", "BillingCity": "Hobart"}})
    poll_org(sf_org.pk)
    [update] = ChangeEvent.objects.downstream().filter(event_type="update")
    assert update.changed_fields == {"phone": "999", "billing_city": "Hobart"}

    control.delete_records("Account", [account.salesforce_id])
    _edit(account, website="https://shown.example")
    dispatch_org(sf_org.pk)

    [error] = SyncError.objects.unresolved()
    page = admin_client.get(reverse("admin:syncerrors_syncerror_info", args=[error.pk])).content.decode()
    assert "What Salesforce changed of this record" in page
    assert "billing_city = Hobart, phone = 999" in page


def test_an_org_delete_of_an_account_the_websites_orders_need_is_an_error_and_the_rest_apply(sf_org, sf_store):
    ordered, plain = (_synced_account(sf_org, name=name) for name in ("Has Orders", "Plain"))
    OrderFactory(account=ordered, store=sf_store, org=sf_org)
    dispatch_org(sf_org.pk)
    poll_org(sf_org.pk)

    sf_org.emulator.control.delete_records("Account", [ordered.salesforce_id, plain.salesforce_id])
    summary = poll_org(sf_org.pk)

    assert summary.deleted == 1 and summary.failed == 1
    assert list(Account.objects.filter(org=sf_org).values_list("pk", flat=True)) == [ordered.pk]
    [error] = SyncError.objects.unresolved()
    assert error.status_code == "CANNOT_APPLY_DOWNSTREAM" and "orders still point at it" in error.message
