"""Catalog connector rules of seed 004, each against the emulated Shopify endpoint."""

import pytest
from django.core.exceptions import ValidationError

from connectors.catalog.runs import RunProcessor, request_refresh, run_connector
from connectors.models import CatalogConnector, ConnectorItemState, ConnectorRun
from storefront.models import Product
from tests.factories import ProductCategoryFactory, ProductFactory, ProductVariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connector(store, emulated_shop, monkeypatch):
    monkeypatch.setenv("SHOPIFY_TEST_TOKEN", emulated_shop.access_token)
    monkeypatch.setenv("SHOPIFY_TEST_CA", str(emulated_shop.ca_file))
    connector = CatalogConnector.objects.create(
        store=store,
        name="Shop",
        shop_url=emulated_shop.shop_url,
        access_token_env="SHOPIFY_TEST_TOKEN",
        ca_file_env="SHOPIFY_TEST_CA",
        status_option="all",
        disable_deletions=False,
        active=True,
    )
    connector.shop = emulated_shop
    return connector


def sync(connector, force=False):
    request_refresh(connector, force=force)
    return run_connector(connector.pk)


def shop_titles(connector):
    return sorted(p["title"] for p in connector.shop.control.products())


def result_of(connector, product):
    return ConnectorItemState.objects.get(connector=connector, item_key=product.scid).last_result


def test_rule_01_item_sent_when_it_or_a_related_category_or_variant_changed(connector, store):
    category = ProductCategoryFactory(org=store.org)
    in_category, with_variant, untouched = ProductFactory.create_batch(3, org=store.org)
    in_category.categories.add(category)
    variant = ProductVariantFactory(product=with_variant, option_values="Size=M")
    sync(connector)

    category.description = "new copy"
    category.save()
    variant.price = 99
    variant.save()
    run = sync(connector)

    assert run.sent == 1 and run.skipped == 2  # the variant's price changes the hash; the category's copy does not
    assert result_of(connector, with_variant) == "sent: changed"
    assert result_of(connector, in_category) == "skipped: hash unchanged"
    assert result_of(connector, untouched) == "skipped: hash unchanged"


def test_rule_02_06_unchanged_items_are_skipped_by_data_hash(connector, store):
    products = ProductFactory.create_batch(5, org=store.org)
    first = sync(connector)
    for product in products:
        Product.objects.get(pk=product.pk).save()  # touched, but nothing Shopify holds changed

    second = sync(connector)

    assert first.sent == 5
    assert (second.sent, second.skipped) == (0, 5)


def test_rule_03_editing_a_connector_starts_nothing(connector, store):
    ProductFactory(org=store.org)

    connector.name = "Renamed"
    connector.save()

    assert not ConnectorRun.objects.exists()
    assert connector.shop.control.stats()["calls"] == 0


def test_rule_04_changes_made_during_a_run_join_that_run(connector, store, monkeypatch):
    products = ProductFactory.create_batch(12, org=store.org)
    run = request_refresh(connector)
    late = {}
    original = RunProcessor._item

    def item_and_change(self, key, item):
        original(self, key, item)
        if not late:
            late["product"] = ProductFactory(org=store.org, name="Added mid-run")

    monkeypatch.setattr(RunProcessor, "_item", item_and_change)
    run_connector(connector.pk)

    run.refresh_from_db()
    assert run.sent == 13 and "Added mid-run" in shop_titles(connector)
    assert ConnectorRun.objects.count() == 1
    assert len(products) == 12


def test_rule_05_force_refresh_sends_every_visible_item_and_no_deletions(connector, store):
    visible = ProductFactory.create_batch(3, org=store.org)
    hidden = ProductFactory(org=store.org, visibility="invisible")
    sync(connector)
    Product.objects.get(pk=hidden.pk).delete()  # a deletion waiting in the queue
    busy = request_refresh(connector)
    busy.state = ConnectorRun.State.IN_PROGRESS
    busy.save()

    forced = request_refresh(connector, force=True)
    assert forced.state == ConnectorRun.State.QUEUED  # waits its turn behind the run in progress
    ConnectorRun.objects.filter(pk=busy.pk).update(state=ConnectorRun.State.COMPLETED)
    run_connector(connector.pk)

    forced.refresh_from_db()
    assert forced.kind == "force_refresh" and forced.sent == 3 and forced.deleted == 0
    assert len(connector.shop.control.products()) == 4  # the deleted product's deletion was not exported
    assert {result_of(connector, p) for p in visible} == {"sent: force refresh"}


def test_rule_07_filters_locked_while_a_run_is_in_progress(connector, store):
    run = request_refresh(connector)
    run.state = ConnectorRun.State.IN_PROGRESS
    run.save()
    connector.tags = "summer"

    with pytest.raises(ValidationError, match="deactivate the connector"):
        connector.full_clean()

    run.state = ConnectorRun.State.COMPLETED
    run.save()
    connector.full_clean()


def test_rule_08_deactivated_connector_stops_after_the_current_batch(connector, store, monkeypatch):
    ProductFactory.create_batch(25, org=store.org)
    original = RunProcessor._item
    calls = []

    def item_then_deactivate(self, key, item):
        original(self, key, item)
        calls.append(key)
        if len(calls) == 3:
            CatalogConnector.objects.filter(pk=self.connector.pk).update(active=False)

    monkeypatch.setattr(RunProcessor, "_item", item_then_deactivate)
    run = sync(connector)

    assert run.state == ConnectorRun.State.PAUSED
    assert run.sent == 10 and len(run.remaining_keys) == 15  # the small batch was finished, then it stopped


def test_rule_09_reactivated_connector_resumes_with_the_configuration_it_started_with(connector, store, monkeypatch):
    ProductFactory.create_batch(15, org=store.org, tags="summer")
    ProductFactory.create_batch(5, org=store.org, tags="winter")
    original = RunProcessor._item

    def deactivate_once(self, key, item):
        original(self, key, item)
        CatalogConnector.objects.filter(pk=self.connector.pk).update(active=False)

    monkeypatch.setattr(RunProcessor, "_item", deactivate_once)
    paused = sync(connector)
    monkeypatch.setattr(RunProcessor, "_item", original)
    CatalogConnector.objects.filter(pk=connector.pk).update(tags="winter", active=True)  # changed while inactive

    resumed = run_connector(connector.pk)

    assert resumed.pk == paused.pk and resumed.state == ConnectorRun.State.COMPLETED
    assert resumed.config_snapshot["tags"] == "" and resumed.sent == 20  # the old configuration: everything
    connector.refresh_from_db()
    manual = sync(connector)  # a manual refresh applies the new configuration
    assert manual.config_snapshot["tags"] == "winter"


def test_rule_10_status_mapping_and_only_visible(connector, store):
    ProductFactory(org=store.org, name="Shown", visibility="visible")
    ProductFactory(org=store.org, name="Drafted", visibility="draft")
    ProductFactory(org=store.org, name="Hidden", visibility="invisible")

    sync(connector)
    statuses = {p["title"]: p["status"] for p in connector.shop.control.products()}
    assert statuses == {"Shown": "ACTIVE", "Drafted": "DRAFT", "Hidden": "ARCHIVED"}

    connector.shop.control.reset()
    ConnectorItemState.objects.all().delete()
    connector.status_option = "only_visible"
    connector.save()
    sync(connector)
    assert shop_titles(connector) == ["Shown"]


def test_rule_11_12_test_environment_tag_limited_run_and_disable_deletions(connector, store):
    connector.is_test_environment, connector.tags, connector.disable_deletions = True, "try-me", True
    connector.status_option = "only_visible"
    connector.save()
    tagged = ProductFactory(org=store.org, name="Trial", tags="try-me")
    ProductFactory(org=store.org, name="Not yet")
    sync(connector)
    assert shop_titles(connector) == ["Trial"]

    Product.objects.filter(pk=tagged.pk).update(visibility="draft")
    Product.objects.get(pk=tagged.pk).save()
    run = sync(connector)

    assert shop_titles(connector) == ["Trial"]  # deletions disabled: nothing removed
    assert "deletions disabled" in result_of(connector, tagged) and run.deleted == 0


def test_rule_deletions_exported_when_enabled(connector, store):
    product = ProductFactory(org=store.org)
    sync(connector)

    Product.objects.get(pk=product.pk).delete()
    run = sync(connector)

    assert run.deleted == 1 and connector.shop.control.products() == []


def test_channel_throttling_is_honoured(connector, store):
    ProductFactory.create_batch(3, org=store.org)
    connector.shop.control.inject_failure({"type": "throttle", "count": 2})

    run = sync(connector)

    assert run.sent == 3 and run.failed == 0


def test_channel_missing_token_is_a_clear_error(connector, store, monkeypatch):
    monkeypatch.delenv("SHOPIFY_TEST_TOKEN")
    ProductFactory(org=store.org)

    run = sync(connector)

    assert run.state == ConnectorRun.State.ERROR and "SHOPIFY_TEST_TOKEN is not set" in run.message
