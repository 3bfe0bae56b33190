"""The website's records: SCIDs, Salesforce Ids unique per org, multi-store sharing."""

import pytest
from django.db import IntegrityError, transaction

from storefront.models import Account, Contact, Order
from storefront.scid import new_scid
from tests.factories import (
    AccountFactory,
    ContactFactory,
    OrderFactory,
    SalesforceOrgFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


def test_scid_assigned_at_creation_and_unique():
    contacts = ContactFactory.create_batch(50)

    scids = [c.scid for c in contacts]
    assert all(s.startswith("SC") and len(s) == 28 for s in scids)
    assert len(set(scids)) == 50


def test_scid_is_time_ordered():
    first, second = new_scid(), new_scid()

    assert first[:12] <= second[:12]


def test_scid_duplicate_is_rejected():
    account = AccountFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        AccountFactory(org=account.org, scid=account.scid)


def test_salesforce_id_unique_per_org():
    org = SalesforceOrgFactory()
    AccountFactory(org=org, salesforce_id="001000000000001AAA")

    with pytest.raises(IntegrityError), transaction.atomic():
        AccountFactory(org=org, salesforce_id="001000000000001AAA")


def test_salesforce_id_may_repeat_across_orgs_and_empty_is_not_unique():
    AccountFactory(salesforce_id="001000000000001AAA")
    AccountFactory(salesforce_id="001000000000001AAA")
    org = SalesforceOrgFactory()
    AccountFactory(org=org)
    AccountFactory(org=org)

    assert Account.objects.filter(salesforce_id="001000000000001AAA").count() == 2
    assert Account.objects.filter(org=org, salesforce_id="").count() == 2


def test_stores_of_one_org_share_contacts_and_accounts():
    org = SalesforceOrgFactory()
    north, south = StoreFactory(org=org), StoreFactory(org=org)
    contact = ContactFactory(account__org=org)

    OrderFactory(store=north, account=contact.account, bill_to_contact=contact)
    OrderFactory(store=south, account=contact.account, bill_to_contact=contact)

    assert Contact.objects.for_org(org).count() == 1
    assert set(Order.objects.filter(bill_to_contact=contact).values_list("store", flat=True)) == {
        north.pk,
        south.pk,
    }
