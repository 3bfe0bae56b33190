"""Downstream sync against the emulated org: polls, pages, deletes, echo, conflicts, schedules, parents."""

import pytest
from django_celery_beat.models import PeriodicTask

from changeevents.downstream import poll_org
from changeevents.models import ChangeEvent, SyncCursor
from changeevents.upstream import dispatch_org
from storefront.catalog import visible_products
from storefront.models import Account, Contact, PricebookEntry, Product
from tests.factories import ContactFactory, PricebookEntryFactory, upstream_changes

pytestmark = pytest.mark.django_db


def test_downstream_create_update_delete_made_in_the_org_after_one_poll(sf_org):
    control = sf_org.emulator.control
    (kept, gone) = control.create_records("Account", [{"Name": "Kept Co"}, {"Name": "Gone Co"}])
    poll_org(sf_org.pk)
    control.update_records("Account", {kept: {"Name": "Kept & Renamed"}})
    control.delete_records("Account", [gone])

    summary = poll_org(sf_org.pk)

    assert list(Account.objects.values_list("name", "salesforce_id")) == [("Kept & Renamed", kept)]
    assert summary.updated == 1 and summary.deleted == 1
    assert not upstream_changes()  # no echo
    assert ChangeEvent.objects.downstream().filter(event_type="delete").count() == 1


def test_downstream_5000_rows_in_3_query_pages_sharing_modstamps_across_pages(sf_org):
    control = sf_org.emulator.control
    for start in range(0, 5000, 1000):  # 1,000 rows share each SystemModstamp, so pages cut through them
        control.create_records("Account", [{"Name": f"Bulk {n}"} for n in range(start, start + 1000)])
    calls = control.call_count()

    summary = poll_org(sf_org.pk, sobjects=["Account"])

    assert control.call_count() - calls == 3
    assert summary.rows == 5000 and summary.created == 5000
    assert Account.objects.filter(org=sf_org).count() == 5000
    assert not upstream_changes()


def test_downstream_second_poll_reads_only_the_overlap_and_changes_nothing(sf_org):
    sf_org.emulator.control.create_records("Account", [{"Name": f"A{n}"} for n in range(10)])
    poll_org(sf_org.pk)

    summary = poll_org(sf_org.pk)

    assert summary.created == 0 and summary.updated == 0
    assert SyncCursor.objects.get(org=sf_org, sobject="Account").last_modstamp is not None


def test_downstream_record_pushed_upstream_makes_no_upstream_event_over_5_polls(sf_org):
    contact = ContactFactory(account__org=sf_org, org=sf_org)
    dispatch_org(sf_org.pk)
    upstream_events = ChangeEvent.objects.upstream().count()

    for _ in range(5):
        poll_org(sf_org.pk)

    contact.refresh_from_db()
    assert ChangeEvent.objects.upstream().count() == upstream_events
    assert Contact.objects.filter(org=sf_org).count() == 1 and contact.salesforce_id


def test_downstream_conflict_rule_pending_local_change_keeps_its_field(sf_org):
    contact = ContactFactory(account__org=sf_org, org=sf_org, phone="111", email="old@example.com")
    dispatch_org(sf_org.pk)
    contact = Contact.objects.get(pk=contact.pk)
    contact.phone = "222"  # a local change not pushed yet
    contact.save()
    sf_org.emulator.control.update_records(
        "Contact", {contact.salesforce_id: {"Phone": "999", "Email": "new@example.com"}}
    )

    poll_org(sf_org.pk)

    contact.refresh_from_db()
    assert contact.phone == "222"  # the pending push wins
    assert contact.email == "new@example.com"  # the other field applies
    dispatch_org(sf_org.pk)
    assert {r["Phone"] for r in sf_org.emulator.control.records("Contact")} == {"222"}


def test_downstream_pricebook_entries_wait_for_the_ten_minute_group_or_a_manual_run(sf_org):
    control = sf_org.emulator.control
    (book,) = control.create_records("Pricebook2", [{"Name": "Book"}])
    (product,) = control.create_records("Product2", [{"Name": "Lamp", "Family": "Hardware"}])
    control.create_records("PricebookEntry", [{"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 12.5}])

    poll_org(sf_org.pk, group="realtime")
    assert Product.objects.count() == 1 and PricebookEntry.objects.count() == 0

    poll_org(sf_org.pk, group="ten_minutes")
    assert PricebookEntry.objects.get().unit_price == 12.5


def test_downstream_manual_run_of_chosen_objects(sf_org):
    control = sf_org.emulator.control
    (book,) = control.create_records("Pricebook2", [{"Name": "Book"}])
    (product,) = control.create_records("Product2", [{"Name": "Lamp"}])
    control.create_records("PricebookEntry", [{"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 3}])
    poll_org(sf_org.pk, sobjects=["Pricebook2", "Product2"])

    poll_org(sf_org.pk, sobjects=["PricebookEntry"])

    assert PricebookEntry.objects.count() == 1


def test_downstream_child_before_parent_is_applied_once_the_parent_arrives(sf_org):
    control = sf_org.emulator.control
    (account,) = control.create_records("Account", [{"Name": "Parent Co"}])
    control.create_records("Contact", [{"LastName": "Early", "AccountId": account}])

    first = poll_org(sf_org.pk, sobjects=["Contact"])  # the account is not read yet
    assert first.waiting == 1 and not Contact.objects.exists()
    assert ChangeEvent.objects.downstream().pending().count() == 1

    poll_org(sf_org.pk, sobjects=["Account"])
    poll_org(sf_org.pk, sobjects=["Contact"])

    contact = Contact.objects.get()
    assert contact.account.name == "Parent Co"
    assert not ChangeEvent.objects.downstream().pending().exists()


def test_downstream_row_that_cannot_be_applied_becomes_a_sync_error_with_the_row(sf_org):
    from syncerrors.models import SyncError

    # an open picklist holds 255 characters in the org; the website's campaign type holds 40
    sf_org.emulator.control.create_records("Campaign", [{"Name": "Spring", "Type": "X" * 100}])

    summary = poll_org(sf_org.pk)

    error = SyncError.objects.get()
    assert summary.failed == 1 and error.status_code == "CANNOT_APPLY_DOWNSTREAM"
    assert "type is longer than 40" in error.message and error.payload["Type"] == "X" * 100


def test_downstream_full_run_goes_through_a_bulk_query(sf_org):
    sf_org.emulator.control.create_records("Account", [{"Name": f"Full {n}"} for n in range(50)])

    summary = poll_org(sf_org.pk, sobjects=["Account"], full=True)

    assert summary.bulk == ["Account"] and Account.objects.count() == 50


def test_downstream_schedules_are_beat_rows_per_org(sf_org):
    names = set(PeriodicTask.objects.values_list("name", flat=True))

    assert f"scsync: downstream realtime org {sf_org.pk}" in names
    assert f"scsync: downstream ten_minutes org {sf_org.pk}" in names
    realtime = PeriodicTask.objects.get(name=f"scsync: downstream realtime org {sf_org.pk}")
    assert realtime.interval.every == 5
    reconcile = PeriodicTask.objects.get(name=f"scsync: downstream reconcile org {sf_org.pk}")
    assert reconcile.task == "changeevents.tasks.reconcile_downstream_task" and reconcile.interval.every == 3600


def test_downstream_overlapping_run_of_the_same_object_is_a_no_op(sf_org):
    from connectors.leases import held_lock

    with held_lock(f"downstream:{sf_org.pk}:Account"):
        summary = poll_org(sf_org.pk, sobjects=["Account", "Contact"])

    assert summary.busy == ["Account"] and summary.objects == ["Contact"]


def test_downstream_stores_see_only_products_in_their_price_book(sf_store):
    listed = PricebookEntryFactory(org=sf_store.org)
    PricebookEntryFactory(org=sf_store.org)  # another price book
    sf_store.pricebook_reference = listed.pricebook.scid
    sf_store.save()

    assert list(visible_products(sf_store)) == [listed.product]


def test_downstream_a_held_row_read_again_while_its_parent_is_still_missing_stays_held(sf_org):
    control = sf_org.emulator.control
    (account,) = control.create_records("Account", [{"Name": "Late Parent Co"}])
    control.create_records("Contact", [{"LastName": "Patient", "AccountId": account}])

    for _ in range(2):  # the second poll tries the held row again: its parent is still not here
        poll_org(sf_org.pk, sobjects=["Contact"])
    assert ChangeEvent.objects.downstream().pending().count() == 1

    poll_org(sf_org.pk, sobjects=["Account"])
    control.update_records("Account", {account: {"Phone": "1"}})  # nothing new for the contact in the org
    poll_org(sf_org.pk, sobjects=["Contact"])
    assert Contact.objects.get().account.name == "Late Parent Co"
