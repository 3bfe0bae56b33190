"""Media imports: fetch a product's media URL, store it content-addressed, and set the product's CDN URL.

What may be fetched is media_urls' policy (http(s) from public hosts; file: and data: in development), within a
size limit and a list of content types. A failed import keeps the old CDN URL and becomes a sync error with a clear
message, so the console shows it; a failure of this machine (an OSError reading or storing) is logged here and
shown without local detail.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from changeevents.failures import EventFailure, report_failures
from changeevents.models import ChangeEvent
from connectors.broker import publish

from .media_urls import MediaError, fetch
from .models import MediaImport, Product

logger = logging.getLogger(__name__)

MEDIA_IMPORT_FAILED = "MEDIA_IMPORT_FAILED"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


def queue_import(product: Product) -> MediaImport | None:
    """Record an import of the product's current media URL and run it after commit."""
    if not product.media_url:
        return None
    media_import = MediaImport.objects.create(product=product, source_url=product.media_url)

    # by name: the task module imports this one; publish never makes the save wait on the broker
    transaction.on_commit(lambda: publish("storefront.tasks.import_media_task", args=[media_import.pk]))
    return media_import


def store(body: bytes, content_type: str) -> tuple[str, str]:
    """Save under media/products/<sha[:2]>/<sha>.<ext> unless already there; returns (sha256, path)."""
    digest = hashlib.sha256(body).hexdigest()
    path = f"products/{digest[:2]}/{digest}.{EXTENSIONS.get(content_type, 'bin')}"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(body))
    return digest, path


def import_media(import_id: int) -> MediaImport:
    """Run one import; on success the product's CDN URL changes (and syncs upstream)."""
    media_import = MediaImport.objects.select_related("product").get(pk=import_id)
    if media_import.status != MediaImport.Status.PENDING:
        return media_import  # a retried task does the work once
    product = media_import.product
    try:
        body, content_type = fetch(media_import.source_url)
        digest, path = store(body, content_type)
    except MediaError as exc:
        _failed(media_import, str(exc))
        return media_import
    except OSError:
        logger.exception("media import %s: reading or storing failed", media_import.pk)
        _failed(media_import, "the file could not be read or stored on this server (the worker's log has why)")
        return media_import
    with transaction.atomic():
        media_import.status, media_import.sha256, media_import.stored_path = MediaImport.Status.DONE, digest, path
        media_import.content_type, media_import.size, media_import.finished_at = content_type, len(body), timezone.now()
        media_import.save()
        cdn_url = settings.CDN_BASE_URL.rstrip("/") + "/" + path
        product.refresh_from_db()
        if product.media_url == media_import.source_url and product.cdn_url != cdn_url:
            product.cdn_url = cdn_url
            product.save(update_fields=["cdn_url", "updated_at"])
    return media_import


def _failed(media_import: MediaImport, reason: str) -> None:
    product = media_import.product
    message = f"Media import of {media_import.source_url} failed: {reason}. The CDN URL was kept."
    with transaction.atomic():
        media_import.status, media_import.message, media_import.finished_at = (
            MediaImport.Status.FAILED,
            message,
            timezone.now(),
        )
        media_import.save()
        event = ChangeEvent.objects.create(
            org_id=product.org_id,
            sobject="Product2",
            model_label=Product._meta.label_lower,
            object_pk=product.pk,
            event_type=ChangeEvent.EventType.UPDATE,
            changed_fields={"media_url": media_import.source_url},
            scid=product.scid,
            salesforce_id=product.salesforce_id,
            status=ChangeEvent.Status.FAILED,
            last_status_code=MEDIA_IMPORT_FAILED,
            last_message=message,
            processed_at=timezone.now(),
        )
        report_failures([EventFailure(event, MEDIA_IMPORT_FAILED, message, ["Media_URL__c"])])
