"""A small demo data set for `make run`: one org (the emulated one), two stores, a catalog and orders."""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from connectors.models import CatalogConnector, SalesforceOrg, Store

from .models import Account, Contact, Order, OrderItem, Pricebook, PricebookEntry, Product, ProductCategory

DEMO_ORG = "Demo org (emulated)"


def ensure_admin_user(username: str, password: str) -> bool:
    """Create a superuser when the site has none; returns True if one was created."""
    User = get_user_model()
    if User.objects.filter(is_superuser=True).exists():
        return False
    User.objects.create_superuser(username=username, email=f"{username}@localhost", password=password)
    return True


@transaction.atomic
def load_demo_data() -> SalesforceOrg:
    """Create the demo org and its records once; later calls change nothing."""
    org, created = SalesforceOrg.objects.get_or_create(
        # the emulated org publishes change events: its changes arrive as they happen (listen_changes)
        name=DEMO_ORG,
        defaults={"auth_method": SalesforceOrg.AuthMethod.SESSION, "use_change_data_capture": True},
    )
    if not created:
        return org
    north = Store.objects.create(org=org, name="North Store", domain="north.localhost", currency="USD")
    Store.objects.create(org=org, name="South Store", domain="south.localhost", currency="USD", language="es")
    pricebook = Pricebook.objects.create(org=org, name="Standard Price Book")
    north.pricebook_reference = pricebook.scid
    north.save(update_fields=["pricebook_reference"])
    apparel = ProductCategory.objects.create(org=org, name="Apparel", tags="demo")
    products = []
    for number, (name, family) in enumerate(
        [("Trail Jacket", "Apparel"), ("Summit Boots", "Apparel"), ("Camp Stove", "Hardware")], start=1
    ):
        product = Product.objects.create(
            org=org, name=name, family=family, product_code=f"DEMO-{number}", stock_level=50, tags="demo"
        )
        if family == "Apparel":
            product.categories.add(apparel)
        PricebookEntry.objects.create(org=org, pricebook=pricebook, product=product, unit_price=Decimal(49 * number))
        products.append(product)
    account = Account.objects.create(org=org, name="Lovelace Outfitters", billing_country_code="US")
    contact = Contact.objects.create(
        org=org, account=account, first_name="Ada", last_name="Lovelace", email="ada@example.com"
    )
    # The emulated org's demo validation rule refuses this one, so the console has a real failure to show.
    Contact.objects.create(org=org, account=account, first_name="Demo", last_name="Invalid", email="x@example.com")
    order = Order.objects.create(
        org=org, store=north, account=account, bill_to_contact=contact, effective_date=datetime.date.today()
    )
    for line, product in enumerate(products[:2], start=1):
        OrderItem.objects.create(
            org=org, order=order, product=product, quantity=1, unit_price=Decimal(49 * line), line_number=line
        )
    # A first connector as seed 004 advises: a test shop, visible items only, deletions off, inactive until
    # someone activates it (the emulated shop of `make run`).
    CatalogConnector.objects.create(
        store=north,
        name="Demo Shopify (emulated)",
        shop_url="https://127.0.0.1:8444",
        access_token_env="SHOPIFY_DEMO_TOKEN",
        ca_file_env="SHOPIFY_DEMO_CA",
        status_option=CatalogConnector.StatusOption.ONLY_VISIBLE,
        disable_deletions=True,
        is_test_environment=True,
    )
    return org
