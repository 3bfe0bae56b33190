"""The Celery application: configured from Django settings (namespace CELERY), logging by settings.LOGGING."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scsync_site.settings")

app = Celery("scsync_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Worker and Beat log through settings.LOGGING (its filters included) instead of Celery's own set-up."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
