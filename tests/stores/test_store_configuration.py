"""What a store's configuration reaches: Store__c and the currency of its orders in the org, its language as the
Shopify channel's locale (issue 15, point 3). Against the emulated org and shop (real HTTPS servers in this
process)."""

import datetime

import pytest

from changeevents.downstream import poll_org
from changeevents.upstream import dispatch_org
from connectors.catalog.runs import run_connector
from storefront.models import Order, Product
from tests.catalog.test_rules import connector  # noqa: F401 (fixture)
from tests.factories import AccountFactory, StoreFactory

pytestmark = pytest.mark.django_db


def _order(org, store):
    return Order.objects.create(
        org=org, store=store, account=AccountFactory(org=org), effective_date=datetime.date(2026, 11, 25)
    )


def _org_order(org, order):
    return next(r for r in org.emulator.control.records("Order") if r["External_ID__c"] == order.scid)


def test_an_order_reaches_the_org_with_its_store_and_in_a_multi_currency_org_its_stores_currency(sf_org):
    sf_org.multi_currency = True
    sf_org.save()
    sydney = StoreFactory(org=sf_org, name="Sydney", currency="AUD")
    order = _order(sf_org, sydney)

    dispatch_org(sf_org.pk)

    in_org = _org_order(sf_org, order)
    assert (in_org["Store__c"], in_org["CurrencyIsoCode"]) == ("Sydney", "AUD")

    # moving the order to another store tells the org; the currency an order was created in stays
    order.refresh_from_db()
    order.store = StoreFactory(org=sf_org, name="Melbourne", currency="USD")
    order.save()
    dispatch_org(sf_org.pk)
    in_org = _org_order(sf_org, order)
    assert (in_org["Store__c"], in_org["CurrencyIsoCode"]) == ("Melbourne", "AUD")


def test_a_single_currency_org_gets_the_store_but_no_currency(sf_org, sf_store):
    order = _order(sf_org, sf_store)

    dispatch_org(sf_org.pk)

    in_org = _org_order(sf_org, order)
    assert in_org["Store__c"] == sf_store.name and in_org["CurrencyIsoCode"] is None


def test_an_order_created_in_the_org_joins_the_store_its_store_field_names(sf_org, sf_store):
    other = StoreFactory(org=sf_org, name="Outlet")
    account = AccountFactory(org=sf_org)
    dispatch_org(sf_org.pk)
    account.refresh_from_db()
    sf_org.emulator.control.create_records(
        "Order",
        [{"AccountId": account.salesforce_id, "EffectiveDate": "2026-11-25", "Status": "Draft", "Store__c": "Outlet"}],
    )

    poll_org(sf_org.pk)

    assert Order.objects.get(org=sf_org).store == other


def test_the_stores_language_is_the_shopify_channels_locale(connector):  # noqa: F811
    store = connector.store
    store.language = "fr"
    store.save()
    Product.objects.create(org=store.org, name="Chaise")

    run_connector(connector.pk)

    [product] = connector.shop.control.products()
    assert (product["title"], product["writtenInLocale"]) == ("Chaise", "fr")
