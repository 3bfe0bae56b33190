"""What staff may change: their stores' records, never credentials, connector secrets, a store's org or managers.
(The two-tenant matrix proves they reach nothing of another tenant; these prove what they may do with their own.)"""

import pytest
from django.urls import reverse

from connectors.models import CatalogConnector, SalesforceOrg, Store
from storefront.models import Account, Lead, OrderItem, Product
from tests.factories import change_form_data
from tests.tenancy import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenants(db):
    return world.build()


@pytest.fixture
def staff_a(client, tenants):
    client.force_login(tenants.staff_a)
    return client


def test_staff_see_their_org_but_change_nothing_of_it(staff_a, tenants):
    url = reverse("admin:connectors_salesforceorg_change", args=[tenants.alpha.pk])

    page = staff_a.get(url)
    forged = staff_a.post(
        url,
        {"name": "Alpha org", "login_domain": "evil.example#", "credentials_env_prefix": "SF_ZULU",
         "auth_method": "password", "api_version": "59.0", "poll_interval_seconds": 5,
         "use_change_data_capture": "on"},
    )  # fmt: skip

    tenants.alpha.refresh_from_db()
    assert page.status_code == 200 and 'name="credentials_env_prefix"' not in page.content.decode()
    # their org's subscription state is shown read-only; the switch is not theirs to flip
    assert "alpha subscription error" in page.content.decode()
    assert 'name="use_change_data_capture"' not in page.content.decode()
    assert not tenants.alpha.use_change_data_capture
    assert forged.status_code == 403
    assert (tenants.alpha.login_domain, tenants.alpha.credentials_env_prefix) == ("login", "SF_ALPHA")
    assert staff_a.get(reverse("admin:connectors_salesforceorg_add")).status_code == 403


def test_superusers_edit_credentials_and_a_bad_login_domain_is_refused_in_the_form(admin_client, tenants):
    url = reverse("admin:connectors_salesforceorg_change", args=[tenants.alpha.pk])
    data = change_form_data(admin_client.get(url))

    refused = admin_client.post(url, {**data, "login_domain": "evil.example#", "credentials_env_prefix": "B_SECRET"})
    saved = admin_client.post(url, {**data, "login_domain": "acme.my.salesforce.com"})

    errors = refused.context["adminform"].form.errors
    assert "is not a Salesforce login domain" in errors["login_domain"][0]
    assert "Use SF_ followed by" in errors["credentials_env_prefix"][0]
    assert saved.status_code == 302
    assert SalesforceOrg.objects.get(pk=tenants.alpha.pk).login_domain == "acme.my.salesforce.com"


def test_staff_edit_their_store_but_not_its_org_or_managers(staff_a, tenants):
    url = reverse("admin:connectors_store_change", args=[tenants.alpha_store.pk])
    data = change_form_data(staff_a.get(url))

    staff_a.post(url, {**data, "name": "Alpha store renamed", "org": tenants.zulu.pk,
                       "managers": [tenants.staff_a.pk, tenants.staff_b.pk]})  # fmt: skip

    store = Store.objects.get(pk=tenants.alpha_store.pk)
    assert store.name == "Alpha store renamed"
    assert store.org == tenants.alpha and list(store.managers.all()) == [tenants.staff_a]
    assert staff_a.get(reverse("admin:connectors_store_add")).status_code == 403


def test_staff_change_a_connectors_filters_never_where_it_sends_or_with_what(staff_a, tenants):
    connector = CatalogConnector.objects.get(store=tenants.alpha_store)
    url = reverse("admin:connectors_catalogconnector_change", args=[connector.pk])
    data = change_form_data(staff_a.get(url))

    forged = {"shop_url": "https://127.0.0.1:9", "access_token_env": "SF_ZULU_PASSWORD", "store": tenants.zulu_store.pk}
    staff_a.post(url, {**data, "tags": "sale", **forged})

    connector.refresh_from_db()
    assert connector.tags == "sale"
    assert (connector.shop_url, connector.access_token_env) == ("https://alpha.myshopify.com", "SHOPIFY_ALPHA_TOKEN")
    assert connector.store == tenants.alpha_store
    assert staff_a.get(reverse("admin:connectors_catalogconnector_add")).status_code == 403


def test_staff_add_an_order_line_in_the_order_admin_and_it_joins_the_orders_org(staff_a, tenants):
    order = OrderItem.objects.get(order__store=tenants.alpha_store).order
    url = reverse("admin:storefront_order_change", args=[order.pk])
    data = change_form_data(staff_a.get(url))
    product = order.items.get().product
    zulu_product = Product.objects.get(scid="ZULU-PROD")
    new_line = {
        "items-TOTAL_FORMS": "2",
        "items-1-line_number": "2",
        "items-1-quantity": "3",
        "items-1-unit_price": "4",
    }

    foreign = staff_a.post(url, {**data, **new_line, "items-1-product": zulu_product.pk})
    added = staff_a.post(url, {**data, **new_line, "items-1-product": product.pk})

    assert foreign.status_code == 200 and "Select a valid choice" in foreign.content.decode()
    assert added.status_code == 302
    line = order.items.get(line_number=2)
    assert (line.org_id, line.product_id, line.quantity) == (order.org_id, product.pk, 3)


def test_staff_cannot_delete_a_shared_record_that_takes_another_stores_rows_with_it(staff_a, tenants):
    account = Account.objects.get(scid="ALPHA-ACC")  # Zulu store two's order names it
    lead = Lead.objects.get(scid="ALPHA-LEAD")
    account_url = reverse("admin:storefront_account_delete", args=[account.pk])

    page = staff_a.get(account_url)
    refused = staff_a.post(account_url, {"post": "yes"})
    deleted = staff_a.post(reverse("admin:storefront_lead_delete", args=[lead.pk]), {"post": "yes"})

    assert "records of stores you do not manage" in page.content.decode() and "ZULU" not in page.content.decode()
    assert refused.status_code == 403 and Account.objects.filter(pk=account.pk).exists()
    assert deleted.status_code == 302 and not Lead.objects.filter(pk=lead.pk).exists()
