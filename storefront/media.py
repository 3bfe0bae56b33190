"""Media imports: fetch a product's media URL, store it content-addressed, and set the product's CDN URL.

What may be fetched is media_urls' policy (http(s) from public hosts; file: and data: in development), within a
size limit and a list of content types. A failed import keeps the old CDN URL and becomes a MEDIA_IMPORT_FAILED
sync error of its own (a RecordProblem: no outbox event, so the product's later changes are not held behind it);
re-syncing it imports the product's media URL again, and a successful import resolves it. A failure of this
machine (an OSError reading or storing) is logged here and shown without local detail. An import whose wake-up
message was lost is queued again by the sweep, a few times, then fails.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from changeevents.failures import RecordProblem, problems_solved, report_problem
from changeevents.registry import registry
from connectors.broker import publish

from .media_urls import MediaError, fetch
from .models import MediaImport, Product

logger = logging.getLogger(__name__)

MEDIA_IMPORT_FAILED = "MEDIA_IMPORT_FAILED"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


def queue_imports(product_ids) -> list[MediaImport]:
    """Import the media URL of each of these products that has one and has not been imported already."""
    newest = MediaImport.objects.filter(product=OuterRef("pk")).order_by("-created_at", "-pk").values("source_url")
    products = (
        Product.objects.filter(pk__in=list(product_ids))
        .exclude(media_url="")
        .annotate(last_imported=Subquery(newest[:1]))
    )
    return [queue_import(p) for p in products if p.last_imported != p.media_url]


def queue_import(product: Product) -> MediaImport | None:
    """Record an import of the product's current media URL and run it after commit."""
    if not product.media_url:
        return None
    media_import = MediaImport.objects.create(product=product, source_url=product.media_url)
    _publish(media_import.pk)
    return media_import


def _publish(import_id: int) -> None:
    # by name: the task module imports this one; publish never makes the save wait on the broker
    transaction.on_commit(lambda: publish("storefront.tasks.import_media_task", args=[import_id]))


def sweep_pending_imports() -> int:
    """Queue again the imports still pending after SCSYNC_MEDIA_SWEEP_AFTER_SECONDS (their message was lost, or
    their worker died); one queued SCSYNC_MEDIA_MAX_ATTEMPTS times fails. Returns how many were queued again."""
    now = timezone.now()
    stale = MediaImport.objects.filter(
        status=MediaImport.Status.PENDING,
        queued_at__lt=now - timedelta(seconds=settings.SCSYNC_MEDIA_SWEEP_AFTER_SECONDS),
    ).select_related("product")
    queued = 0
    for media_import in stale:
        if media_import.attempts >= settings.SCSYNC_MEDIA_MAX_ATTEMPTS:
            _failed(media_import, f"it was queued {media_import.attempts} times and no worker ran it")
            continue
        updated = MediaImport.objects.filter(pk=media_import.pk, queued_at=media_import.queued_at).update(
            attempts=media_import.attempts + 1, queued_at=now
        )
        if updated:  # a second sweep running at once does not queue it twice
            _publish(media_import.pk)
            queued += 1
    return queued


def rerun_import(org_id: int, sobject: str, scid: str) -> bool:
    """Re-syncing a MEDIA_IMPORT_FAILED error: import the product's current media URL again."""
    product = Product.objects.filter(org_id=org_id, scid=scid).first()
    return bool(product and queue_import(product))


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
        problems_solved(product.org_id, _sobject(), product.scid, MEDIA_IMPORT_FAILED)
    return media_import


def _sobject() -> str:
    return registry.for_model(Product).sobject


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
        report_problem(
            RecordProblem(
                org_id=product.org_id,
                sobject=_sobject(),
                scid=product.scid,
                salesforce_id=product.salesforce_id,
                status_code=MEDIA_IMPORT_FAILED,
                message=message,
                fields=["Media_URL__c"],
                payload={"Media_URL__c": media_import.source_url, "import": media_import.pk},
            )
        )
