"""Two tenants for the tenancy tests: everything of tenant B carries the word "zulu" (names, SCIDs, Salesforce Ids,
payloads, messages); nothing of tenant A does.

- Org "Alpha org" has "Alpha store" (staff A manages it) and "Zulu store two" (staff B's): same org, other store.
- Org "Zulu org" has "Zulu store" (staff B's), with its sync triggers off.
Org-shared records (accounts, contacts, campaigns and contacts' memberships, products, price books) carry their
org's word; store-owned ones (orders, leads and their campaign memberships, assets, cases, connectors, errors,
unsent changes) their store's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.utils import timezone

from changeevents.models import ChangeEvent, ChangeStream, SyncCursor
from connectors.models import CatalogConnector, ConnectorItemState, ConnectorRun, SalesforceOrg, Store
from storefront import models as m
from syncerrors.models import SyncError
from tests.factories import UserFactory

MARK = "zulu"


@dataclass
class World:
    staff_a: object
    staff_b: object
    alpha: SalesforceOrg
    alpha_store: Store
    zulu_store_two: Store
    zulu: SalesforceOrg
    zulu_store: Store


def staff(username: str, *stores):
    """A staff user with every permission there is (not a superuser): only tenancy may stop them."""
    user = UserFactory(username=username, email=f"{username}@example.com")
    user.user_permissions.set(Permission.objects.all())
    for store in stores:
        store.managers.add(user)
    return user


def shared_records(org: SalesforceOrg, word: str) -> dict:
    tag, up = word.lower(), word.upper()
    account = m.Account.objects.create(org=org, name=f"{tag} account", scid=f"{up}-ACC", salesforce_id=f"001{up}ACC")
    contact = m.Contact.objects.create(
        org=org, account=account, last_name=f"{tag} contact", email=f"{tag}@example.com", scid=f"{up}-CON"
    )
    category = m.ProductCategory.objects.create(org=org, name=f"{tag} category", scid=f"{up}-CAT")
    product = m.Product.objects.create(org=org, name=f"{tag} product", product_code=f"{up}-P", scid=f"{up}-PROD")
    product.categories.add(category)
    other = m.Product.objects.create(org=org, name=f"{tag} option product", scid=f"{up}-PROD2")
    m.ProductVariant.objects.create(org=org, product=product, name=f"{tag} variant", sku=f"{up}-SKU", scid=f"{up}-VAR")
    m.ProductOption.objects.create(org=org, configured_product=product, optional_product=other, scid=f"{up}-OPT")
    pricebook = m.Pricebook.objects.create(org=org, name=f"{tag} price book", scid=f"{up}-PB")
    m.PricebookEntry.objects.create(org=org, pricebook=pricebook, product=product, unit_price=1, scid=f"{up}-PBE")
    campaign = m.Campaign.objects.create(org=org, name=f"{tag} campaign", scid=f"{up}-CMP")
    m.CampaignMember.objects.create(org=org, campaign=campaign, contact=contact, scid=f"{up}-CMPC")
    SyncCursor.objects.create(org=org, sobject="Account", last_error=f"{tag} cursor error")
    ChangeStream.objects.create(org=org, last_error=f"{tag} subscription error")
    contact_event = ChangeEvent.objects.filter(model_label="storefront.contact", object_pk=contact.pk).get()
    error(org, None, contact_event, "Contact", tag, up)
    ChangeEvent.objects.create(
        org=org, sobject="Contact", model_label="storefront.contact", object_pk=contact.pk, event_type="update",
        changed_fields={"last_name": f"{tag} unsent"}, scid=f"{up}-CON", status="unsent",
    )  # fmt: skip
    return {"account": account, "contact": contact, "product": product}


def store_records(store: Store, shared: dict, word: str) -> None:
    tag, up = word.lower(), word.upper()
    org = store.org
    order = m.Order.objects.create(
        org=org, store=store, account=shared["account"], effective_date=datetime.date(2026, 11, 1),
        description=f"{tag} order", scid=f"{up}-ORD", salesforce_id=f"801{up}ORD",
    )  # fmt: skip
    m.OrderItem.objects.create(
        org=org, order=order, product=shared["product"], quantity=1, unit_price=1, scid=f"{up}-OI"
    )
    lead = m.Lead.objects.create(org=org, store=store, last_name=f"{tag} lead", company=f"{tag} co", scid=f"{up}-LEAD")
    campaign = m.Campaign.objects.filter(org=org).get()
    m.CampaignMember.objects.create(org=org, campaign=campaign, lead=lead, scid=f"{up}-CMPL", status="Responded")
    m.Asset.objects.create(org=org, store=store, account=shared["account"], name=f"{tag} asset", scid=f"{up}-AST")
    m.Case.objects.create(org=org, store=store, contact=shared["contact"], subject=f"{tag} case", scid=f"{up}-CASE")
    order_event = ChangeEvent.objects.filter(model_label="storefront.order", object_pk=order.pk).get()
    root = error(org, store, order_event, "Order", tag, up)
    item_event = ChangeEvent.objects.filter(model_label="storefront.orderitem").filter(org=org, store=store).get()
    held = error(org, store, item_event, "OrderItem", tag, up)
    held.held_by = root
    held.save()
    ChangeEvent.objects.create(
        org=org, store=store, sobject="Order", model_label="storefront.order", object_pk=order.pk, event_type="update",
        changed_fields={"description": f"{tag} unsent"}, scid=f"{up}-ORD", status="unsent",
    )  # fmt: skip
    connector = CatalogConnector.objects.create(
        store=store, name=f"{tag} connector", shop_url=f"https://{tag}.myshopify.com",
        access_token_env=f"SHOPIFY_{up}_TOKEN", tags=f"{tag}-tag",
    )  # fmt: skip
    ConnectorRun.objects.create(connector=connector, message=f"{tag} run", state="completed")
    ConnectorItemState.objects.create(connector=connector, item_key=f"{tag}-item", last_result=f"{tag} sent")


def error(org, store, event, sobject: str, tag: str, up: str) -> SyncError:
    event.status, event.store = "failed", store
    event.save()
    return SyncError.objects.create(
        org=org, store=store, event=event, sobject=sobject, event_type="create", scid=f"{up}-{sobject.upper()}-ERR",
        salesforce_id=f"003{up}ERR", status_code="FIELD_CUSTOM_VALIDATION_EXCEPTION", message=f"{tag} message",
        payload={"Name": f"{tag} payload"}, raw_response=f'{{"{tag}": true}}', created_at=timezone.now(),
    )  # fmt: skip


def build() -> World:
    alpha = SalesforceOrg.objects.create(name="Alpha org", credentials_env_prefix="SF_ALPHA")
    zulu = SalesforceOrg.objects.create(name="Zulu org", credentials_env_prefix="SF_ZULU", username="zulu@example.com")
    alpha_store = Store.objects.create(org=alpha, name="Alpha store", domain="alpha.example.com")
    zulu_store_two = Store.objects.create(org=alpha, name="Zulu store two", domain="zulu-two.example.com")
    zulu_store = Store.objects.create(org=zulu, name="Zulu store", domain="zulu.example.com")
    alpha_shared, zulu_shared = shared_records(alpha, "alpha"), shared_records(zulu, "zulu")
    store_records(alpha_store, alpha_shared, "alpha")
    store_records(zulu_store_two, alpha_shared, "zulu")
    store_records(zulu_store, zulu_shared, "zulu")
    SalesforceOrg.objects.filter(pk=zulu.pk).update(triggers_enabled=False)  # its records were recorded while on
    return World(
        staff_a=staff("alpha-staff", alpha_store),
        staff_b=staff("zulu-staff", zulu_store_two, zulu_store),
        alpha=alpha,
        alpha_store=alpha_store,
        zulu_store_two=zulu_store_two,
        zulu=zulu,
        zulu_store=zulu_store,
    )
