"""Media imports: fetch a product's media URL, store it content-addressed, and set the product's CDN URL.

http(s), file: and data: URLs are accepted, within a size limit and a list of content types. A failed
import keeps the old CDN URL and becomes a sync error with a clear message, so the console shows it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from changeevents.failures import EventFailure, report_failures
from changeevents.models import ChangeEvent
from connectors.broker import publish

from .models import MediaImport, Product

MEDIA_IMPORT_FAILED = "MEDIA_IMPORT_FAILED"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


class MediaError(Exception):
    """Why a media URL could not be imported (the message is shown in the console)."""


def queue_import(product: Product) -> MediaImport | None:
    """Record an import of the product's current media URL and run it after commit."""
    if not product.media_url:
        return None
    media_import = MediaImport.objects.create(product=product, source_url=product.media_url)

    # by name: the task module imports this one; publish never makes the save wait on the broker
    transaction.on_commit(lambda: publish("storefront.tasks.import_media_task", args=[media_import.pk]))
    return media_import


def _read_http(url: str, limit: int) -> tuple[bytes, str]:
    try:
        with requests.get(url, stream=True, timeout=(5, 30)) as response:
            if response.status_code != 200:
                raise MediaError(f"the server answered HTTP {response.status_code} for {url}")
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > limit:
                raise MediaError(f"the file is {declared} bytes; the limit is {limit}")
            body = bytearray()
            for chunk in response.iter_content(65536):
                body += chunk
                if len(body) > limit:
                    raise MediaError(f"the file is larger than the limit of {limit} bytes")
            return bytes(body), response.headers.get("Content-Type", "").split(";")[0].strip()
    except requests.RequestException as exc:
        raise MediaError(f"could not fetch {url}: {exc}") from exc


def _read_file(url: str, limit: int) -> tuple[bytes, str]:
    path = Path(unquote(urlsplit(url).path))
    if not path.is_file():
        raise MediaError(f"no such file: {path}")
    if path.stat().st_size > limit:
        raise MediaError(f"the file is {path.stat().st_size} bytes; the limit is {limit}")
    return path.read_bytes(), mimetypes.guess_type(path.name)[0] or ""


def _read_data(url: str, limit: int) -> tuple[bytes, str]:
    header, _, payload = url[5:].partition(",")
    content_type = header.split(";")[0]
    try:
        body = base64.b64decode(payload, validate=True) if header.endswith(";base64") else unquote(payload).encode()
    except (binascii.Error, ValueError) as exc:
        raise MediaError(f"the data URL is not valid base64: {exc}") from exc
    if len(body) > limit:
        raise MediaError(f"the file is {len(body)} bytes; the limit is {limit}")
    return body, content_type


def fetch(url: str) -> tuple[bytes, str]:
    """The bytes and content type behind a media URL; raises MediaError naming what is wrong."""
    limit = settings.SCSYNC_MEDIA_MAX_BYTES
    scheme = urlsplit(url).scheme.lower()
    readers = {"http": _read_http, "https": _read_http, "file": _read_file, "data": _read_data}
    if scheme not in readers:
        raise MediaError(f"unsupported URL scheme {scheme!r}: use http(s), file or data URLs")
    body, content_type = readers[scheme](url, limit)
    if content_type not in settings.SCSYNC_MEDIA_CONTENT_TYPES:
        allowed = ", ".join(settings.SCSYNC_MEDIA_CONTENT_TYPES)
        raise MediaError(f"content type {content_type or 'unknown'!r} is not allowed (allowed: {allowed})")
    return body, content_type


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
