"""Admin: every changelist opens, and a store's staff see only their stores' records."""

import pytest
from django.contrib import admin
from django.urls import reverse

from storefront.models import Order
from tests.factories import (
    AssetFactory,
    CaseFactory,
    ContactFactory,
    LeadFactory,
    OrderFactory,
    OrderItemFactory,
    PricebookEntryFactory,
    ProductOptionFactory,
    ProductVariantFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


def registered_models():
    return [m for m in admin.site._registry if m._meta.app_label in {"storefront", "connectors"}]


def test_admin_every_changelist_and_change_page_opens(admin_client):
    # given one record of each kind
    item = OrderItemFactory()
    PricebookEntryFactory(org=item.org)
    ProductVariantFactory(product=item.product)
    ProductOptionFactory(configured_product=item.product)
    AssetFactory(account=item.order.account)
    CaseFactory()
    LeadFactory()

    for model in registered_models():
        opts = model._meta
        # when
        changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        # then
        assert changelist.status_code == 200, opts.label
        obj = model.objects.first()
        if obj is not None:
            change = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            assert change.status_code == 200, opts.label


def test_admin_store_staff_see_only_their_stores_orders(client, store, store_staff):
    mine = OrderFactory(store=store)
    other_store_same_org = StoreFactory(org=store.org)
    theirs = OrderFactory(store=other_store_same_org, account=mine.account)
    client.force_login(store_staff)

    response = client.get(reverse("admin:storefront_order_changelist"))

    assert response.status_code == 200
    shown = list(response.context["cl"].queryset)
    assert shown == [mine]
    assert client.get(reverse("admin:storefront_order_change", args=[theirs.pk])).status_code == 302
    assert Order.objects.visible_to(store_staff).count() == 1


def test_admin_store_staff_see_contacts_of_their_org_only(client, store, store_staff):
    shared = ContactFactory(account__org=store.org)
    other_org_contact = ContactFactory()
    client.force_login(store_staff)

    response = client.get(reverse("admin:storefront_contact_changelist"))

    shown = set(response.context["cl"].queryset)
    assert shared in shown
    assert other_org_contact not in shown


def test_admin_org_credentials_are_never_fields(admin_client, org):
    response = admin_client.get(reverse("admin:connectors_salesforceorg_change", args=[org.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "credentials_env_prefix" in content
    for secret_field in ("password", "security_token", "private_key", "session_id"):
        assert f'name="{secret_field}"' not in content


def test_visibility_querysets_one_rule_for_orgs_stores_and_connectors(store_staff, store):
    from connectors.models import CatalogConnector, SalesforceOrg, Store
    from tests.factories import UserFactory

    # given a second store of the same org, and another org with its own store and connector
    sibling = StoreFactory(org=store.org)
    other = StoreFactory()
    mine = CatalogConnector.objects.create(store=store, name="mine", shop_url="https://a", access_token_env="T")
    CatalogConnector.objects.create(store=other, name="theirs", shop_url="https://b", access_token_env="T")
    superuser = UserFactory(is_superuser=True)

    # then staff see their org once, only the stores they manage, and those stores' connectors
    assert list(SalesforceOrg.objects.visible_to(store_staff)) == [store.org]
    assert list(Store.objects.managed_by(store_staff)) == [store]
    assert sibling not in Store.objects.managed_by(store_staff)
    assert list(CatalogConnector.objects.visible_to(store_staff)) == [mine]
    # and a superuser sees everything
    assert SalesforceOrg.objects.visible_to(superuser).count() == 2
    assert Store.objects.managed_by(superuser).count() == 3
    assert CatalogConnector.objects.visible_to(superuser).count() == 2


class _Broker:
    def __init__(self):
        self.polls = []

    def send(self, name, args=None, kwargs=None):
        self.polls.append(args)


def test_admin_two_tenants_org_and_connector_pages_and_sync_now(
    client, store, store_staff, monkeypatch, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission

    from connectors.models import CatalogConnector

    # given staff of one store who may view and change orgs and connectors, and a second tenant
    store_staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="connectors", codename__regex=r"^(view|change)_")
    )
    theirs = StoreFactory()
    mine = CatalogConnector.objects.create(store=store, name="mine", shop_url="https://a", access_token_env="T")
    foreign = CatalogConnector.objects.create(store=theirs, name="theirs", shop_url="https://b", access_token_env="T")
    broker = _Broker()
    monkeypatch.setattr("connectors.broker.send", broker.send)
    client.force_login(store_staff)
    orgs_url = reverse("admin:connectors_salesforceorg_changelist")

    # then the org pages show their org only, and the other tenant's org page is not reachable
    assert list(client.get(orgs_url).context["cl"].queryset) == [store.org]
    assert client.get(reverse("admin:connectors_salesforceorg_change", args=[theirs.org.pk])).status_code == 302
    # a forged Sync now for the other org queues nothing; their own org's queues one poll
    with django_capture_on_commit_callbacks(execute=True):
        client.post(orgs_url, {"action": "sync_now", "_selected_action": [theirs.org.pk]})
        client.post(orgs_url, {"action": "sync_now", "_selected_action": [store.org.pk]})
    assert broker.polls == [[store.org.pk, None]]
    # the connector pages show their store's connector only
    connectors = client.get(reverse("admin:connectors_catalogconnector_changelist"))
    assert list(connectors.context["cl"].queryset) == [mine]
    assert client.get(reverse("admin:connectors_catalogconnector_change", args=[foreign.pk])).status_code == 302


def test_admin_two_tenants_unsent_changes_and_downstream_cursors(client, admin_client, store, store_staff):
    from django.contrib.auth.models import Permission

    from changeevents.models import ChangeEvent, SyncCursor
    from changeevents.triggers import set_triggers
    from tests.factories import AccountFactory

    # given staff of one store who may view and change orgs and unsent changes; a sibling store of the same org
    # that they do not manage, and a second tenant; changes made in both orgs while their triggers were off
    store_staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["connectors", "changeevents"])
    )
    sibling, theirs = StoreFactory(org=store.org), StoreFactory()
    for org in (store.org, theirs.org):
        set_triggers(org, False)
        SyncCursor.objects.create(org=org, sobject="Account", last_error=f"INVALID_TYPE in {org.name}")
    shared = AccountFactory(org=store.org)  # shared by the org's stores
    LeadFactory(store=store, org=store.org, last_name="Mine")
    LeadFactory(store=sibling, org=store.org, last_name="Sibling")
    AccountFactory(org=theirs.org)
    for org in (store.org, theirs.org):
        set_triggers(org, True)
    unsent = ChangeEvent.objects.unsent()
    mine = set(unsent.filter(org=store.org).exclude(store=sibling).values_list("pk", flat=True))
    not_mine = set(unsent.values_list("pk", flat=True)) - mine
    assert len(mine) == 2 and len(not_mine) == 2
    client.force_login(store_staff)
    url = reverse("admin:changeevents_unsentchange_changelist")

    # then the list shows their store's change and their org's shared record only
    page = client.get(url)
    assert {e.pk for e in page.context["cl"].queryset} == mine
    assert shared.scid in page.content.decode()
    # the org filter offers only orgs in their list (one org: Django then leaves the filter out), never the other
    offered = [pk for f in page.context["cl"].filter_specs if f.field_path == "org" for pk, _ in f.lookup_choices]
    assert set(offered) <= {store.org.pk} and theirs.org.name not in page.content.decode()
    # another tenant's or the sibling store's change page is not reachable (a superuser's opens)
    for pk in not_mine:
        assert client.get(reverse("admin:changeevents_unsentchange_change", args=[pk])).status_code == 302
        assert admin_client.get(reverse("admin:changeevents_unsentchange_change", args=[pk])).status_code == 200
    # forged ids catch up and discard nothing outside their scope
    client.post(url, {"action": "send_now", "_selected_action": list(not_mine)})
    client.post(url, {"action": "discard_changes", "_selected_action": list(not_mine)})
    assert set(unsent.values_list("pk", flat=True)) == mine | not_mine
    # the cursors inline shows their org's errors; the other org's page stays closed
    own_org = client.get(reverse("admin:connectors_salesforceorg_change", args=[store.org.pk])).content.decode()
    assert f"INVALID_TYPE in {store.org.name}" in own_org and f"INVALID_TYPE in {theirs.org.name}" not in own_org
    assert client.get(reverse("admin:connectors_salesforceorg_change", args=[theirs.org.pk])).status_code == 302
