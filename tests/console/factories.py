"""Sync errors made directly (an event plus its error), with held chains, for the console's tests."""

from changeevents.models import ChangeEvent
from syncerrors.counts import errors_changed
from syncerrors.models import SyncError
from tests.factories import ContactFactory, OrderFactory


def failed_contact(store, code="FIELD_CUSTOM_VALIDATION_EXCEPTION", message="Email is required", **extra):
    contact = ContactFactory(account__org=store.org, org=store.org)
    event = ChangeEvent.objects.filter(model_label="storefront.contact", object_pk=contact.pk).get()
    event.status, event.store = "failed", store
    event.save()
    error = SyncError.objects.create(
        event=event,
        org=store.org,
        store=store,
        sobject="Contact",
        event_type="create",
        scid=contact.scid,
        status_code=code,
        message=message,
        fields=["Email"],
        payload={"LastName": contact.last_name, "External_ID__c": contact.scid},
        raw_response='{"success": false}',
        **extra,
    )
    errors_changed()  # as syncerrors.recording does
    return contact, error


def held_order(store, contact, root):
    order = OrderFactory(store=store, account=contact.account, bill_to_contact=contact)
    event = ChangeEvent.objects.filter(model_label="storefront.order", object_pk=order.pk).get()
    event.status, event.blocked_by = "held", root.event
    event.save()
    held = SyncError.objects.create(
        event=event,
        org=store.org,
        store=store,
        sobject="Order",
        event_type="create",
        scid=order.scid,
        status_code="INVALID_FIELD",
        message="A parent record failed to sync",
        held_by=root,
    )
    errors_changed([root.pk])  # as syncerrors.recording does
    return held
