"""A parent missing in the org: produced through the sync against the emulated org, and the console's fix for it
(issue 15, point 5)."""

import pytest
from django.urls import reverse

from changeevents.upstream import dispatch_org
from storefront.models import Case, Contact
from syncerrors.models import SyncError
from syncerrors.status_codes import MISSING_PARENT_FIX
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _info_page(admin_client, error) -> str:
    return admin_client.get(reverse("admin:syncerrors_syncerror_info", args=[error.pk])).content.decode()


def test_a_lookup_by_id_to_a_parent_deleted_in_salesforce_is_invalid_cross_reference_key_with_the_parent_fix(
    sf_org, sf_store, admin_client
):
    contact = ContactFactory(account__org=sf_org, org=sf_org)
    dispatch_org(sf_org.pk)
    contact.refresh_from_db()
    sf_org.emulator.control.delete_records("Contact", [contact.salesforce_id])  # before the website hears of it

    Case.objects.create(org=sf_org, store=sf_store, subject="Broken parcel", contact=contact)
    dispatch_org(sf_org.pk)

    error = SyncError.objects.get(sobject="Case")
    assert error.status_code == "INVALID_CROSS_REFERENCE_KEY" and error.fields == ["ContactId"]
    assert error.payload["ContactId"] == contact.salesforce_id
    page = _info_page(admin_client, error)
    assert MISSING_PARENT_FIX in page


def test_a_lookup_by_external_id_to_a_parent_the_org_never_had_is_the_parent_fix_not_an_unknown_field(
    sf_org, sf_store, admin_client
):
    contact = ContactFactory(account=None, org=sf_org)
    dispatch_org(sf_org.pk)
    # the website lost the org's answer (a restored backup, say): it no longer knows the Contact's Id, and the
    # Contact is gone from the org
    contact.refresh_from_db()
    sf_org.emulator.control.delete_records("Contact", [contact.salesforce_id])
    Contact.objects.filter(pk=contact.pk).update(salesforce_id="")

    Case.objects.create(org=sf_org, store=sf_store, subject="Late parcel", contact=Contact.objects.get(pk=contact.pk))
    dispatch_org(sf_org.pk)

    error = SyncError.objects.get(sobject="Case")
    assert error.status_code == "INVALID_FIELD" and "Foreign key external ID" in error.message
    assert error.held_by is None
    page = _info_page(admin_client, error)
    assert MISSING_PARENT_FIX in page
    assert "Check the field named in the message exists in the org" not in page  # not the unknown-field advice
