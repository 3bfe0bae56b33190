"""1,000 products, then 10 changed; the connector admin and command."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from connectors.catalog.runs import request_refresh, run_connector
from connectors.models import CatalogConnector, ConnectorRun
from storefront.models import Product, ProductCategory
from tests.catalog.test_rules import connector  # noqa: F401 (fixture)
from tests.factories import ProductCategoryFactory

pytestmark = pytest.mark.django_db


def test_catalog_1000_products_then_10_changed_sends_exactly_those(connector, store, capsys):  # noqa: F811
    connector.shop.shop.restore_rate = 5000.0  # throttling still applies, refilling fast enough for a test
    category = ProductCategoryFactory(org=store.org, tags="featured")
    products = Product.objects.bulk_create(
        [Product(org=store.org, name=f"Item {n:04d}", family="Hardware", scid=f"SCCAT{n:05d}") for n in range(1000)]
    )
    for product in products[:5]:
        product.categories.add(category)
    request_refresh(connector)
    first = run_connector(connector.pk)

    for product in products[100:110]:
        product.description = "updated"
        product.save()
    ProductCategory.objects.filter(pk=category.pk).update(tags="featured,sale")  # tags travel with the items
    ProductCategory.objects.get(pk=category.pk).save()
    request_refresh(connector)
    second = run_connector(connector.pk)

    assert (first.sent, first.skipped) == (1000, 0)
    assert (second.sent, second.skipped) == (15, 985)  # the 10 products and the 5 whose category changed
    assert ConnectorRun.objects.count() == 2
    with capsys.disabled():
        print(
            f"\ncatalog: first run sent {first.sent} ({first.cost_points:g} cost points); "
            f"after 10 changes + 1 category: sent {second.sent}, skipped {second.skipped} "
            f"({second.cost_points:g} cost points)"
        )


def test_catalog_admin_actions_and_activity_log(
    admin_client,
    connector,  # noqa: F811
    store,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    queued = []
    monkeypatch.setattr("connectors.broker.send", lambda name, args, kwargs=None: queued.extend(args))
    url = reverse("admin:connectors_catalogconnector_changelist")

    for action in ("deactivate", "activate", "refresh", "force_refresh"):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(url, {"action": action, "_selected_action": [connector.pk]})
        assert response.status_code == 302

    assert CatalogConnector.objects.get(pk=connector.pk).active is True
    assert list(ConnectorRun.objects.values_list("kind", flat=True).order_by("created_at")) == [
        "incremental",
        "force_refresh",
    ]
    assert queued == [connector.pk] * 3
    change = admin_client.get(reverse("admin:connectors_catalogconnector_change", args=[connector.pk]))
    assert change.status_code == 200 and "Force refresh" in change.content.decode()
    assert admin_client.get(reverse("admin:connectors_connectoritemstate_changelist")).status_code == 200


def test_catalog_connector_sync_command(connector, store):  # noqa: F811
    Product.objects.create(org=store.org, name="Command item")
    out = StringIO()

    call_command("connector_sync", connector.name, stdout=out)

    assert "Completed: sent 1, skipped 0, failed 0, deleted 0" in out.getvalue()


def test_catalog_schedule_row_per_connector(connector):  # noqa: F811
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name=f"scsync: catalog connector {connector.pk}")
    assert task.enabled is True and task.interval.every == 15
