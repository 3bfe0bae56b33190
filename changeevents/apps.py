"""The sync engine: change events (the outbox), upstream dispatch, downstream polling, sync triggers."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ChangeEventsConfig(AppConfig):
    name = "changeevents"
    verbose_name = "Sync engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .schedules import ensure_engine_schedules

        post_migrate.connect(ensure_engine_schedules, sender=self, dispatch_uid="scsync-engine-schedules")
