"""Recording change events: same transaction, only changed fields, the triggers switch, no echo."""

import pytest
from django.db import transaction

from changeevents.models import ChangeEvent
from changeevents.recording import record_bulk, recording_suppressed
from changeevents.triggers import set_triggers
from storefront.models import Contact
from tests.factories import AccountFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_recording_create_carries_every_tracked_field(org):
    account = AccountFactory(org=org)

    contact = Contact.objects.create(org=org, account=account, last_name="Hopper", email="grace@example.com")

    event = ChangeEvent.objects.get(model_label="storefront.contact")
    assert event.event_type == "create"
    assert event.scid == contact.scid
    assert event.object_pk == contact.pk
    assert event.changed_fields["last_name"] == "Hopper"
    assert event.changed_fields["account_id"] == account.pk
    assert event.status == "pending"


def test_recording_update_carries_only_changed_fields(org):
    contact = ContactFactory(account__org=org, org=org)
    ChangeEvent.objects.all().delete()
    contact = Contact.objects.get(pk=contact.pk)

    contact.email = "new@example.com"
    contact.save()

    event = ChangeEvent.objects.get()
    assert event.event_type == "update"
    assert event.changed_fields == {"email": "new@example.com"}


def test_recording_save_without_change_records_nothing(org):
    contact = ContactFactory(account__org=org, org=org)
    ChangeEvent.objects.all().delete()

    Contact.objects.get(pk=contact.pk).save()

    assert not ChangeEvent.objects.exists()


def test_recording_delete_keeps_scid_and_salesforce_id(org):
    contact = ContactFactory(account__org=org, org=org, salesforce_id="003000000000001AAA")
    pk, scid = contact.pk, contact.scid

    contact.delete()

    event = ChangeEvent.objects.get(event_type="delete")
    assert (event.object_pk, event.scid, event.salesforce_id) == (pk, scid, "003000000000001AAA")


def test_recording_exception_after_change_leaves_no_event(org):
    account = AccountFactory(org=org)
    ChangeEvent.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        Contact.objects.create(org=org, account=account, last_name="Rolled back")
        raise RuntimeError("boom")

    assert not Contact.objects.filter(last_name="Rolled back").exists()
    assert not ChangeEvent.objects.exists()


def test_recording_triggers_off_records_unsent_changes_and_on_again_resumes_at_once(org):
    account = AccountFactory(org=org)
    admin = UserFactory(is_superuser=True)

    set_triggers(org, False, user=admin)
    ContactFactory(org=org, account=account)
    contacts = ChangeEvent.objects.filter(model_label="storefront.contact")
    assert list(contacts.values_list("status", flat=True)) == ["unsent"]  # kept, not sent

    set_triggers(org, True, user=admin)
    ContactFactory(org=org, account=account)
    assert list(contacts.order_by("id").values_list("status", flat=True)) == ["unsent", "pending"]


def test_recording_triggers_switch_is_logged_with_who(org):
    from django.contrib.admin.models import LogEntry

    admin = UserFactory(is_superuser=True)

    set_triggers(org, False, user=admin)

    org.refresh_from_db()
    assert org.triggers_changed_by == admin and org.triggers_changed_at is not None
    assert LogEntry.objects.filter(user=admin, object_id=str(org.pk), change_message__contains="off").exists()


def test_recording_suppressed_writes_record_nothing(org):
    with recording_suppressed():
        AccountFactory(org=org)

    assert not ChangeEvent.objects.exists()


def test_recording_bulk_paths_record_through_the_explicit_api(org):
    accounts = [AccountFactory.build(org=org) for _ in range(3)]

    with transaction.atomic():
        from storefront.models import Account

        created = Account.objects.bulk_create(accounts)
        record_bulk(created, "create")

    assert ChangeEvent.objects.filter(event_type="create", model_label="storefront.account").count() == 3
