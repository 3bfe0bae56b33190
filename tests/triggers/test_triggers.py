"""Sync triggers: the switch, composite keys, inventory, media imports, and catching up."""

import base64
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from changeevents.models import ChangeEvent
from changeevents.triggers import set_triggers
from storefront.media import import_media
from storefront.models import MediaImport, Order, OrderItem, Product
from syncerrors.models import SyncError
from syncerrors.resync import resync_errors
from tests.factories import OrderFactory, PricebookEntryFactory, ProductFactory, UserFactory, no_inline_rows
from tests.triggers.media_server import PNG

pytestmark = pytest.mark.django_db


def test_triggers_command_switches_and_reports(org):
    out = StringIO()

    call_command("sync_triggers", "off", "--org", org.name, stdout=out)
    org.refresh_from_db()
    assert org.triggers_enabled is False and "sync triggers OFF" in out.getvalue()

    call_command("sync_triggers", "on", "--org", org.name, stdout=out)
    org.refresh_from_db()
    assert org.triggers_enabled is True
    call_command("sync_triggers", "status", stdout=out)
    assert f"{org.name}: sync triggers on since" in out.getvalue()


def test_triggers_switched_in_the_admin_is_logged_with_who(admin_client, admin_user, org):
    from django.contrib.admin.models import LogEntry

    url = reverse("admin:connectors_salesforceorg_change", args=[org.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "triggers_enabled"}
    data.update(no_inline_rows(page))

    response = admin_client.post(url, data)

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.triggers_enabled is False and org.triggers_changed_by == admin_user
    assert LogEntry.objects.filter(change_message__contains="Sync triggers switched off").exists()


def test_triggers_assign_composite_keys(org):
    entry = PricebookEntryFactory(org=org, currency="AUD")
    item = OrderFactory(store__org=org, org=org).items.create(
        org=org, product=ProductFactory(org=org), quantity=1, unit_price=1, line_number=7
    )
    entry.refresh_from_db()
    item.refresh_from_db()

    assert entry.composite_key == f"{entry.pricebook.scid}|{entry.product.scid}|AUD"
    assert item.composite_key == f"{item.order.scid}|7"


def test_triggers_off_skip_keys_stock_and_media_and_catch_up_when_on(org, settings, tmp_path):
    settings.MEDIA_ROOT, settings.SCSYNC_MEDIA_ALLOW_LOCAL_URLS = tmp_path, True
    product = ProductFactory(org=org, stock_level=10)
    set_triggers(org, False)
    entry = PricebookEntryFactory(org=org, product=product)
    order = OrderFactory(store__org=org, org=org)
    OrderItem.objects.create(org=org, order=order, product=product, quantity=3, unit_price=1, line_number=1)
    Product.objects.filter(pk=product.pk).update(media_url="data:image/png;base64," + base64.b64encode(PNG).decode())
    product.refresh_from_db()
    assert (product.stock_level, entry.composite_key, product.media_imports.count()) == (10, None, 0)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda func, *a, **k: func())
        patch.setattr("connectors.broker.send", lambda name, args, kwargs=None: import_media(*args))
        set_triggers(org, True)

    product.refresh_from_db()
    entry.refresh_from_db()
    assert product.stock_level == 7
    assert entry.composite_key is not None
    assert product.cdn_url.endswith(".png") and product.media_imports.get().status == "done"


def test_triggers_inventory_once_per_line_and_cancel_restores_once_after_a_resync(org):
    product = ProductFactory(org=org, stock_level=20)
    order = OrderFactory(store__org=org, org=org)
    line = OrderItem.objects.create(org=org, order=order, product=product, quantity=2, unit_price=5, line_number=1)
    line.quantity = Decimal("5")
    line.save()
    line.save()  # a retried save moves nothing
    product.refresh_from_db()
    assert product.stock_level == 15

    # a re-sync of the order's events changes no stock
    event = ChangeEvent.objects.filter(model_label="storefront.order").first()
    error = SyncError.objects.create(event=event, org=org, sobject="Order", event_type="create", status_code="X")
    resync_errors([error])
    order = Order.objects.get(pk=order.pk)
    order.status = Order.Status.CANCELLED
    order.save()
    order.save()

    product.refresh_from_db()
    assert product.stock_level == 20
    assert ChangeEvent.objects.filter(model_label="storefront.product", changed_fields__has_key="stock_level").exists()


def test_media_import_from_http_stores_content_addressed_and_sets_cdn_url(org, settings, tmp_path, media_server):
    settings.MEDIA_ROOT, settings.CDN_BASE_URL = tmp_path, "https://cdn.example.com/media/"
    product = ProductFactory(org=org, media_url=f"{media_server}/logo.png")
    media_import = MediaImport.objects.get(product=product)

    import_media(media_import.pk)
    import_media(media_import.pk)  # a retried task does nothing more

    product.refresh_from_db()
    media_import.refresh_from_db()
    assert media_import.status == "done" and len(media_import.sha256) == 64
    assert product.cdn_url == f"https://cdn.example.com/media/{media_import.stored_path}"
    assert (tmp_path / media_import.stored_path).read_bytes() == PNG
    cdn_updates = ChangeEvent.objects.filter(model_label="storefront.product", event_type="update")
    assert list(cdn_updates.values_list("changed_fields", flat=True)) == [{"cdn_url": product.cdn_url}]


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/missing.png", "HTTP 404"), ("/page.html", "content type 'text/html' is not allowed")],
)
def test_media_import_failure_keeps_the_cdn_url_and_shows_in_the_console(
    org, settings, tmp_path, media_server, path, reason
):
    settings.MEDIA_ROOT = tmp_path
    product = ProductFactory(org=org, cdn_url="https://cdn.example.com/old.png", media_url=f"{media_server}{path}")

    import_media(MediaImport.objects.get(product=product).pk)

    product.refresh_from_db()
    error = SyncError.objects.get()
    assert product.cdn_url == "https://cdn.example.com/old.png"
    assert error.status_code == "MEDIA_IMPORT_FAILED" and reason in error.message


def test_media_import_size_limit_and_schemes(org, settings, tmp_path):
    settings.MEDIA_ROOT, settings.SCSYNC_MEDIA_MAX_BYTES, settings.SCSYNC_MEDIA_ALLOW_LOCAL_URLS = tmp_path, 10, True
    image = tmp_path / "big.png"
    image.write_bytes(PNG)
    too_big = ProductFactory(org=org, media_url=f"file://{image}")
    ftp = ProductFactory(org=org, media_url="ftp://example.com/x.png")

    import_media(MediaImport.objects.get(product=too_big).pk)
    import_media(MediaImport.objects.get(product=ftp).pk)

    messages = sorted(SyncError.objects.values_list("message", flat=True))
    assert any("larger than the limit of 10 bytes" in m for m in messages)
    assert any("unsupported URL scheme 'ftp': use http(s) URLs" in m for m in messages)


def test_triggers_set_without_user_logs_no_entry_but_keeps_time(org):
    user = UserFactory()

    set_triggers(org, False)
    set_triggers(org, True, user=user)

    org.refresh_from_db()
    assert org.triggers_changed_by == user
