"""Celery tasks of the connectors app (autodiscovered)."""

from connectors.catalog.tasks import run_connector_task, scheduled_connector_task  # noqa: F401
