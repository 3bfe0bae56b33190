"""Celery tasks of the website's side: thin, take ids."""

from celery import shared_task

from .media import import_media


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def import_media_task(import_id: int) -> str:
    return import_media(import_id).status
