"""Celery tasks of the website's side: thin, take ids."""

from celery import shared_task

from .media import import_media, sweep_pending_imports


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def import_media_task(import_id: int) -> str:
    return import_media(import_id).status


@shared_task(ignore_result=True)
def sweep_media_task() -> int:
    """Beat, every minute: queue again the media imports whose message was lost."""
    return sweep_pending_imports()
