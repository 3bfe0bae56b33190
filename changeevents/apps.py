"""The sync engine: change events (the outbox), upstream dispatch, downstream polling, sync triggers."""

from django.apps import AppConfig


class ChangeEventsConfig(AppConfig):
    name = "changeevents"
    verbose_name = "Sync engine"
    default_auto_field = "django.db.models.BigAutoField"
