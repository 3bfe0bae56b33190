"""Every path runs the same side effects: website saves, bulk loads and downstream applies (issue 15, points 1-2).

Against the emulated org (a real HTTPS server in this process) and the media server (a real socket).
"""

from decimal import Decimal

import pytest
from django.utils import timezone

from changeevents.downstream import poll_org
from changeevents.models import ChangeEvent
from changeevents.upstream import dispatch_org
from storefront.media import import_media, sweep_pending_imports
from storefront.models import MediaImport, Order, OrderItem, PricebookEntry, Product, StockReservation
from syncerrors.models import SyncError
from syncerrors.resync import resync_errors
from tests.factories import OrderFactory, PricebookFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _order_with_a_line(org, store, quantity, stock=20):
    product = ProductFactory(org=org, stock_level=stock)
    order = OrderFactory(store=store, org=org)
    line = OrderItem.objects.create(
        org=org, order=order, product=product, quantity=quantity, unit_price=5, line_number=1
    )
    dispatch_org(org.pk)
    line.refresh_from_db()
    order.refresh_from_db()
    assert line.salesforce_id and order.salesforce_id, "the order and its line reached the org"
    return product, order, line


def _stock(product) -> int:
    return Product.objects.get(pk=product.pk).stock_level


def test_a_downstream_order_line_quantity_change_moves_stock_once(sf_org, sf_store):
    product, _, line = _order_with_a_line(sf_org, sf_store, quantity=7)
    assert _stock(product) == 13
    poll_org(sf_org.pk)  # the website's own changes coming back change nothing

    sf_org.emulator.control.update_records("OrderItem", {line.salesforce_id: {"Quantity": 10}})
    poll_org(sf_org.pk)
    poll_org(sf_org.pk)
    poll_org(sf_org.pk, full=True)  # a full re-read applies nothing twice

    assert OrderItem.objects.get(pk=line.pk).quantity == Decimal("10")
    assert _stock(product) == 10
    assert StockReservation.objects.get(order_item=line).quantity == Decimal("10")
    # the stock the downstream change moved goes upstream like a website change
    moved = ChangeEvent.objects.upstream().filter(model_label="storefront.product", object_pk=product.pk)
    assert moved.filter(changed_fields={"stock_level": 10}).count() == 1
    dispatch_org(sf_org.pk)
    [org_product] = sf_org.emulator.control.records("Product2")
    assert org_product["Stock_Level__c"] == 10


def test_a_downstream_cancel_and_a_downstream_delete_give_stock_back_once(sf_org, sf_store):
    control = sf_org.emulator.control
    product, order, line = _order_with_a_line(sf_org, sf_store, quantity=4)
    other_product, other_order, other_line = _order_with_a_line(sf_org, sf_store, quantity=3)
    assert (_stock(product), _stock(other_product)) == (16, 17)

    control.update_records("Order", {order.salesforce_id: {"Status": "Cancelled"}})
    control.delete_records("OrderItem", [other_line.salesforce_id])
    poll_org(sf_org.pk)
    poll_org(sf_org.pk, full=True)

    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    assert not OrderItem.objects.filter(pk=other_line.pk).exists()
    assert (_stock(product), _stock(other_product)) == (20, 20)
    assert not StockReservation.objects.filter(order_item__isnull=True).exists()


def test_a_website_line_delete_gives_stock_back_once(org, store):
    product = ProductFactory(org=org, stock_level=20)
    line = OrderItem.objects.create(
        org=org, order=OrderFactory(store=store, org=org), product=product, quantity=6, unit_price=1, line_number=1
    )
    assert _stock(product) == 14

    line.delete()

    assert _stock(product) == 20 and not StockReservation.objects.exists()


def test_a_downstream_pricebook_entry_gets_its_composite_key(sf_org):
    pricebook, product = PricebookFactory(org=sf_org), ProductFactory(org=sf_org)
    dispatch_org(sf_org.pk)
    pricebook.refresh_from_db()
    product.refresh_from_db()
    [entry_id] = sf_org.emulator.control.create_records(
        "PricebookEntry",
        [
            {
                "Pricebook2Id": pricebook.salesforce_id,
                "Product2Id": product.salesforce_id,
                "UnitPrice": 12,
                "CurrencyIsoCode": "EUR",
            }
        ],
    )

    poll_org(sf_org.pk, sobjects=["PricebookEntry"])

    entry = PricebookEntry.objects.get(salesforce_id=entry_id)
    assert entry.composite_key == f"{pricebook.scid}|{product.scid}|EUR"


def test_a_failed_media_import_holds_none_of_the_products_later_changes(sf_org, settings, tmp_path, media_server):
    settings.MEDIA_ROOT = tmp_path
    product = ProductFactory(org=sf_org, media_url=f"{media_server}/missing.png")
    import_media(MediaImport.objects.get(product=product).pk)
    [error] = SyncError.objects.unresolved()
    assert (error.status_code, error.event, error.sobject, error.scid) == (
        "MEDIA_IMPORT_FAILED",
        None,
        "Product2",
        product.scid,
    )
    assert not ChangeEvent.objects.filter(status__in=["failed", "held"]).exists()

    product.name = "Renamed after the failed import"
    product.save()
    dispatch_org(sf_org.pk)

    assert not ChangeEvent.objects.upstream().filter(status__in=["failed", "held"]).exists()
    assert SyncError.objects.unresolved().count() == 1  # only the media error, holding nothing
    [org_product] = sf_org.emulator.control.records("Product2")
    assert org_product["Name"] == "Renamed after the failed import"


def test_resyncing_a_media_error_imports_again_and_success_resolves_it(org, settings, tmp_path, media_server):
    settings.MEDIA_ROOT = tmp_path
    product = ProductFactory(org=org, media_url=f"{media_server}/flaky.png")
    first = MediaImport.objects.get(product=product)
    import_media(first.pk)
    error = SyncError.objects.get(status_code="MEDIA_IMPORT_FAILED")
    import_media(MediaImport.objects.create(product=product, source_url=product.media_url).pk)  # fails again
    assert SyncError.objects.unresolved().count() == 1, "a second failure refreshes the open error"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda func, *a, **k: func())
        queued = []
        patch.setattr("connectors.broker.send", lambda name, args, kwargs=None: queued.append((name, args)))
        result = resync_errors([error])

    again = MediaImport.objects.filter(product=product).latest("created_at")
    assert result.requeued_count == 1 and queued == [("storefront.tasks.import_media_task", [again.pk])]
    Product.objects.filter(pk=product.pk).update(media_url=f"{media_server}/logo.png")
    again.source_url = f"{media_server}/logo.png"
    again.save()
    import_media(again.pk)
    assert MediaImport.objects.get(pk=again.pk).status == "done"
    assert not SyncError.objects.unresolved().exists()


def test_the_sweep_queues_again_an_import_whose_message_was_lost_and_gives_up_after_the_attempts(org, settings):
    settings.SCSYNC_MEDIA_SWEEP_AFTER_SECONDS, settings.SCSYNC_MEDIA_MAX_ATTEMPTS = 60, 2
    product = ProductFactory(org=org, media_url="https://example.com/lost.png")
    lost = MediaImport.objects.get(product=product)
    assert sweep_pending_imports() == 0  # not stale yet

    MediaImport.objects.filter(pk=lost.pk).update(queued_at=timezone.now() - timezone.timedelta(seconds=61))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda func, *a, **k: func())
        queued = []
        patch.setattr("connectors.broker.send", lambda name, args, kwargs=None: queued.append(args))
        assert sweep_pending_imports() == 1
        assert sweep_pending_imports() == 0  # queued just now
        MediaImport.objects.filter(pk=lost.pk).update(queued_at=timezone.now() - timezone.timedelta(seconds=61))
        assert sweep_pending_imports() == 0  # the second attempt was the last

    lost.refresh_from_db()
    assert queued == [[lost.pk]] and lost.attempts == 2 and lost.status == "failed"
    error = SyncError.objects.get(status_code="MEDIA_IMPORT_FAILED")
    assert "queued 2 times and no worker ran it" in error.message


def test_a_bulk_load_announces_its_rows_and_they_get_keys_once_the_triggers_are_back_on(
    org, tmp_path, django_capture_on_commit_callbacks
):
    from storefront.bulk.service import bulk_load

    pricebook, product = PricebookFactory(org=org), ProductFactory(org=org)
    path = tmp_path / "entries.csv"
    path.write_text(f"scid,pricebook,product,unit_price,currency\nPBE-1,{pricebook.scid},{product.scid},9.50,AUD\n")
    heard = []
    from changeevents.signals import records_changed

    def listen(sender, changes, **kwargs):
        heard.append((sender, list(changes.created), org.__class__.objects.get(pk=org.pk).triggers_enabled))

    records_changed.connect(listen, dispatch_uid="test-bulk-heard")
    try:
        with django_capture_on_commit_callbacks(execute=True):  # the catch-up runs once switching commits
            summary = bulk_load(path, "PricebookEntry", org, send=False)
    finally:
        records_changed.disconnect(dispatch_uid="test-bulk-heard")

    entry = PricebookEntry.objects.get(org=org, scid="PBE-1")
    assert summary.loaded == 1 and heard == [(PricebookEntry, [entry.pk], False)]
    assert entry.composite_key == f"{pricebook.scid}|{product.scid}|AUD"


def test_an_order_line_created_in_the_org_takes_its_stock_once(sf_org, sf_store):
    product, order, _ = _order_with_a_line(sf_org, sf_store, quantity=1)
    product.refresh_from_db()
    assert product.stock_level == 19
    sf_org.emulator.control.create_records(
        "OrderItem",
        [{"OrderId": order.salesforce_id, "Product2Id": product.salesforce_id, "Quantity": 5, "UnitPrice": 5}],
    )

    poll_org(sf_org.pk)
    poll_org(sf_org.pk, full=True)

    assert OrderItem.objects.filter(order=order).count() == 2
    assert _stock(product) == 14


def test_a_product_changed_in_the_org_queues_its_catalog_item_like_a_website_change(sf_org, sf_store):
    from connectors.models import CatalogConnector, ConnectorItemState

    CatalogConnector.objects.create(
        store=sf_store, name="Shop", shop_url="https://shop.myshopify.com", access_token_env="SHOPIFY_TOKEN"
    )
    product = ProductFactory(org=sf_org, name="Lamp")
    dispatch_org(sf_org.pk)
    product.refresh_from_db()
    ConnectorItemState.objects.update(pending=False, pending_reason="")

    sf_org.emulator.control.update_records("Product2", {product.salesforce_id: {"Name": "Desk lamp"}})
    poll_org(sf_org.pk)

    state = ConnectorItemState.objects.get(item_key=product.scid)
    assert (state.pending, state.pending_reason) == (True, "product changed")


def test_a_composite_key_another_record_has_is_left_unset_and_the_write_goes_through(org, store, caplog):
    order = OrderFactory(store=store, org=org)
    first = OrderItem.objects.create(org=org, order=order, quantity=1, unit_price=1, line_number=3)
    second = OrderItem.objects.create(org=org, order=order, quantity=2, unit_price=1, line_number=3)  # same line

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.composite_key == f"{order.scid}|3" and second.composite_key is None
    assert "is another record's; left unset" in caplog.text
