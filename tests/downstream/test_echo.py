"""No echo: what the website itself wrote to the org (an admin save, a bulk load, an SCID or composite-key write-back)
comes back through polls and Change Data Capture as 0 downstream events.

Against the emulated org: its REST API over HTTPS and its Pub/Sub API over gRPC, in this process.
"""

import pytest
from django.urls import reverse

from changeevents.downstream import poll_org
from changeevents.models import ChangeEvent, ChangeStream
from changeevents.upstream import dispatch_org
from storefront.bulk.service import bulk_load
from storefront.models import Account, Contact
from tests.bulk.test_bulk_load import write_contacts
from tests.downstream.test_change_data_capture import listen, subscribed
from tests.factories import AccountFactory, ContactFactory, change_form_data

pytestmark = pytest.mark.django_db


def _read_back_everything(org, marker_name: str) -> None:
    """Let a change the org makes after everything else arrive by Change Data Capture (so every earlier event was
    taken), then poll and reconcile."""
    org.emulator.control.create_records("Account", [{"Name": marker_name}])
    listen(org, lambda: Account.objects.filter(name=marker_name).exists(), timeout=120)
    poll_org(org.pk)
    poll_org(org.pk, reconcile=True)


def _downstream_events_but_the_marker() -> list:
    return list(ChangeEvent.objects.downstream().exclude(model_label="storefront.account", event_type="create"))


def test_an_admin_save_comes_back_as_no_downstream_event(sf_org, admin_client):
    sf_org.emulator.control.set_timings(pubsub_keepalive_seconds=0.2)
    contact = ContactFactory(org=sf_org, account__org=sf_org, phone="111")
    dispatch_org(sf_org.pk)
    poll_org(sf_org.pk)
    subscribed(sf_org)
    url = reverse("admin:storefront_contact_change", args=[contact.pk])

    response = admin_client.post(url, {**change_form_data(admin_client.get(url)), "phone": "222"})
    assert response.status_code == 302
    dispatch_org(sf_org.pk)
    _read_back_everything(sf_org, "Marker after the save")

    assert sf_org.emulator.control.records("Contact")[0]["Phone"] == "222"
    assert _downstream_events_but_the_marker() == []
    assert ChangeStream.objects.get(org=sf_org).events_applied >= 2  # the save's event did come back


def test_a_bulk_load_of_10000_rows_comes_back_as_no_downstream_event(sf_org, tmp_path):
    sf_org.emulator.control.set_timings(pubsub_keepalive_seconds=0.2)
    account = AccountFactory(org=sf_org)
    dispatch_org(sf_org.pk)
    account.refresh_from_db()
    poll_org(sf_org.pk)
    subscribed(sf_org)

    summary = bulk_load(
        write_contacts(tmp_path / "contacts.csv", 10_000, account), "Contact", sf_org, scid_column="legacy_id"
    )
    _read_back_everything(sf_org, "Marker after the load")

    assert summary.sent == 10_000 and Contact.objects.filter(org=sf_org).count() == 10_000
    assert _downstream_events_but_the_marker() == []


def test_scid_and_composite_key_write_backs_come_back_as_no_downstream_event(sf_org):
    sf_org.emulator.control.set_timings(pubsub_keepalive_seconds=0.2)
    control = sf_org.emulator.control
    (book,) = control.create_records("Pricebook2", [{"Name": "Org Book"}])
    (product,) = control.create_records("Product2", [{"Name": "Org Mug"}])
    control.create_records("PricebookEntry", [{"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 4}])
    control.create_records("Contact", [{"LastName": f"Born {n}"} for n in range(5)])
    poll_org(sf_org.pk)
    poll_org(sf_org.pk, group="ten_minutes")
    subscribed(sf_org)
    applied = ChangeEvent.objects.downstream().count()

    summary = dispatch_org(sf_org.pk)  # SCIDs of 8 records and one composite key
    _read_back_everything(sf_org, "Marker after the write-backs")

    assert summary.synced == 8 and summary.failed == 0
    assert all(r["External_ID__c"] for sobject in ("Contact", "Product2") for r in control.records(sobject))
    assert ChangeEvent.objects.downstream().exclude(event_type="create", model_label="storefront.account").count() == (
        applied
    )
