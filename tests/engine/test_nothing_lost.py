"""Nothing lost upstream (issue 13), against the emulated org: field-level pushes, attempts equal calls, no echo."""

import pytest

from changeevents.downstream import poll_org
from changeevents.models import ChangeEvent
from changeevents.upstream import dispatch_org
from storefront.models import Contact
from syncerrors.models import SyncError
from syncerrors.resync import resync_errors
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def retry_at_once(settings):
    settings.SCSYNC_RETRY_BASE_SECONDS = 0
    settings.SCSYNC_RETRY_MAX_SECONDS = 0


def org_contact(sf_org, contact):
    return next(r for r in sf_org.emulator.control.records("Contact") if r["External_ID__c"] == contact.scid)


def synced_contact(sf_org, **fields) -> Contact:
    contact = ContactFactory(account__org=sf_org, org=sf_org, **fields)
    dispatch_org(sf_org.pk)
    return Contact.objects.get(pk=contact.pk)


def test_org_edits_phone_while_website_edits_city_both_survive_on_both_sides(sf_org):
    contact = synced_contact(sf_org, phone="111", mailing_city="Perth")
    sf_org.emulator.control.update_records("Contact", {contact.salesforce_id: {"Phone": "999"}})
    contact.mailing_city = "Hobart"  # the website's edit, before the next poll
    contact.save()

    dispatch_org(sf_org.pk)
    poll_org(sf_org.pk)

    row = org_contact(sf_org, contact)
    contact.refresh_from_db()
    assert (row["Phone"], row["MailingCity"]) == ("999", "Hobart")
    assert (contact.phone, contact.mailing_city) == ("999", "Hobart")


def test_update_sends_only_the_changed_fields_with_the_external_id_and_touched_parents(sf_org):
    contact = synced_contact(sf_org)
    other = AccountFactory(org=sf_org)
    contact.email = "new@example.com"
    contact.save()
    contact.account = other
    contact.save()
    events = list(ChangeEvent.objects.upstream().pending().filter(model_label="storefront.contact"))

    from changeevents.payloads import build_payload
    from changeevents.registry import registry

    payload = build_payload(contact, registry.for_model(Contact), events)

    assert payload == {
        "External_ID__c": contact.scid,
        "Email": "new@example.com",
        "Account": {"External_ID__c": other.scid},
    }


def test_create_sends_the_full_state(sf_org):
    contact = ContactFactory(account__org=sf_org, org=sf_org, phone="123")

    dispatch_org(sf_org.pk)

    row = org_contact(sf_org, contact)
    assert (row["LastName"], row["Phone"], row["Email"]) == (contact.last_name, "123", contact.email)


def test_resync_sends_what_is_still_unsent(sf_org):
    contact = synced_contact(sf_org)
    control = sf_org.emulator.control
    control.add_rule(
        {"type": "validation", "object": "Contact", "name": "no-zz", "condition": "Phone = 'zz'", "message": "no zz"}
    )
    contact.phone = "zz"
    contact.save()
    dispatch_org(sf_org.pk)
    contact.email = "later@example.com"  # held behind the failure
    contact.save()
    dispatch_org(sf_org.pk)
    control.update_records("Contact", {contact.salesforce_id: {"MailingCity": "Darwin"}})
    control.remove_rule("no-zz")

    resync_errors(SyncError.objects.unresolved())
    dispatch_org(sf_org.pk)

    row = org_contact(sf_org, contact)
    assert (row["Phone"], row["Email"], row["MailingCity"]) == ("zz", "later@example.com", "Darwin")


def test_attempts_equal_the_calls_made_when_a_record_always_fails_transiently(sf_org, settings):
    settings.SCSYNC_MAX_ATTEMPTS = 6
    AccountFactory(org=sf_org)
    control = sf_org.emulator.control
    control.add_rule({"type": "row_lock", "object": "Account", "next_writes": 100})
    calls = control.call_count()

    dispatch_org(sf_org.pk)

    event = ChangeEvent.objects.get(model_label="storefront.account")
    made = control.call_count() - calls
    assert event.status == "failed"
    assert made == 6
    assert event.attempts == made
    assert event.delivery_attempts.count() == made
    assert SyncError.objects.get(event=event).status_code == "UNABLE_TO_LOCK_ROW"


def test_website_pushes_come_back_as_no_downstream_write_over_5_polls(sf_org):
    contact = synced_contact(sf_org)
    contact.phone = "555"
    contact.save()
    dispatch_org(sf_org.pk)
    before = Contact.objects.values_list("updated_at", flat=True).get(pk=contact.pk)
    downstream = ChangeEvent.objects.downstream().count()

    written = 0
    for _ in range(5):
        summary = poll_org(sf_org.pk)
        written += summary.created + summary.updated

    assert written == 0
    assert ChangeEvent.objects.downstream().count() == downstream
    assert Contact.objects.values_list("updated_at", flat=True).get(pk=contact.pk) == before


def test_a_poll_before_the_websites_delete_is_sent_does_not_bring_the_record_back(sf_org):
    contact = synced_contact(sf_org)
    contact.delete()  # the delete event waits in the outbox

    summary = poll_org(sf_org.pk)
    assert not Contact.objects.filter(scid=contact.scid).exists()
    dispatch_org(sf_org.pk)

    assert summary.created == 0
    assert contact.scid not in {r["External_ID__c"] for r in sf_org.emulator.control.records("Contact")}
