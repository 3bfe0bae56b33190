"""Records born in Salesforce get one identity on both sides: the website's SCID is written back to the org, and
every later push updates the org's record by its Id, never creating a second one.

Against the emulated org (a real HTTPS server in this process); the media server is a real socket too.
"""

import pytest

from changeevents.downstream import poll_org
from changeevents.models import ChangeEvent
from changeevents.upstream import dispatch_org
from storefront.media import import_media
from storefront.models import Account, Contact, MediaImport, OrderItem, PricebookEntry, Product
from syncerrors.models import SyncError
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _org_rows(org, sobject):
    return org.emulator.control.records(sobject)


def test_a_contact_born_in_the_org_gets_its_scid_written_back_and_a_website_edit_updates_the_same_record(sf_org):
    control = sf_org.emulator.control
    (contact_id,) = control.create_records("Contact", [{"LastName": "Born There", "Phone": "111"}])
    poll_org(sf_org.pk)
    contact = Contact.objects.get(salesforce_id=contact_id)

    dispatch_org(sf_org.pk)  # the SCID goes back to the org
    [row] = _org_rows(sf_org, "Contact")
    assert row["External_ID__c"] == contact.scid

    contact = Contact.objects.get(pk=contact.pk)
    contact.phone = "222"
    contact.save()
    dispatch_org(sf_org.pk)

    [row] = _org_rows(sf_org, "Contact")
    assert (row["Id"], row["Phone"], row["LastName"]) == (contact_id, "222", "Born There")
    assert not SyncError.objects.unresolved().exists()


def test_an_account_born_in_the_org_whose_scid_the_org_lost_is_still_updated_by_its_id(sf_org):
    control = sf_org.emulator.control
    (account_id,) = control.create_records("Account", [{"Name": "Born Co", "BillingCity": "Perth"}])
    poll_org(sf_org.pk)
    dispatch_org(sf_org.pk)
    control.update_records("Account", {account_id: {"External_ID__c": None}})  # an org admin cleared it
    poll_org(sf_org.pk)

    account = Account.objects.get(salesforce_id=account_id)
    account.phone = "08 1234"
    account.save()
    dispatch_org(sf_org.pk)

    rows = _org_rows(sf_org, "Account")
    assert len(rows) == 1, "one website record is one org record"
    assert (rows[0]["Id"], rows[0]["Phone"], rows[0]["BillingCity"]) == (account_id, "08 1234", "Perth")
    assert rows[0]["External_ID__c"] == account.scid, "its SCID is restored"


def test_an_order_of_a_product_born_in_the_org_adjusts_the_org_stock_and_the_order_reaches_the_org(sf_org, sf_store):
    control = sf_org.emulator.control
    (product_id,) = control.create_records("Product2", [{"Name": "Org Lamp", "Stock_Level__c": 20}])
    poll_org(sf_org.pk)
    product = Product.objects.get(salesforce_id=product_id)
    order = OrderFactory(store=sf_store, org=sf_org)
    OrderItem.objects.create(org=sf_org, order=order, product=product, quantity=3, unit_price=5, line_number=1)

    dispatch_org(sf_org.pk)

    [org_product] = _org_rows(sf_org, "Product2")
    assert (org_product["Id"], org_product["Stock_Level__c"]) == (product_id, 17)
    [org_line] = _org_rows(sf_org, "OrderItem")
    assert org_line["Product2Id"] == product_id
    assert not ChangeEvent.objects.upstream().filter(status__in=["failed", "held"]).exists()


def test_a_cdn_url_of_a_product_born_in_the_org_reaches_its_record(sf_org, settings, tmp_path, media_server):
    settings.MEDIA_ROOT = tmp_path
    control = sf_org.emulator.control
    picture = f"{media_server}/logo.png"
    (product_id,) = control.create_records("Product2", [{"Name": "Pictured", "Media_URL__c": picture}])
    poll_org(sf_org.pk)
    import_media(MediaImport.objects.get(product__salesforce_id=product_id).pk)

    dispatch_org(sf_org.pk)

    product = Product.objects.get(salesforce_id=product_id)
    assert product.cdn_url
    [org_product] = _org_rows(sf_org, "Product2")
    assert (org_product["Id"], org_product["CDN_URL__c"]) == (product_id, product.cdn_url)
    assert org_product["External_ID__c"] == product.scid


def test_scid_write_back_takes_one_collections_call_per_200_records(sf_org):
    control = sf_org.emulator.control
    control.create_records("Contact", [{"LastName": f"Born {n}"} for n in range(450)])
    poll_org(sf_org.pk, sobjects=["Contact"])
    calls = control.call_count()

    summary = dispatch_org(sf_org.pk)

    assert control.call_count() - calls == 3 == summary.api_calls  # ceil(450 / 200)
    scids = dict(Contact.objects.values_list("salesforce_id", "scid"))
    assert {r["Id"]: r["External_ID__c"] for r in _org_rows(sf_org, "Contact")} == scids
    poll_org(sf_org.pk, sobjects=["Contact"])
    assert not ChangeEvent.objects.downstream().filter(event_type="update").exists(), "the write-back is no echo"


def test_composite_keys_reach_the_org(sf_org):
    control = sf_org.emulator.control
    (book,) = control.create_records("Pricebook2", [{"Name": "Org Book"}])
    (product,) = control.create_records("Product2", [{"Name": "Org Mug"}])
    (entry_id,) = control.create_records(
        "PricebookEntry", [{"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 4, "CurrencyIsoCode": "USD"}]
    )
    poll_org(sf_org.pk)
    poll_org(sf_org.pk, group="ten_minutes")
    entry = PricebookEntry.objects.get(salesforce_id=entry_id)

    dispatch_org(sf_org.pk)

    assert entry.composite_key
    org_entry = next(r for r in _org_rows(sf_org, "PricebookEntry") if r["Id"] == entry_id)
    assert org_entry["Composite_Key__c"] == entry.composite_key
    poll_org(sf_org.pk, group="ten_minutes")
    assert PricebookEntry.objects.get(pk=entry.pk).composite_key == entry.composite_key, "the org's value is ours"
