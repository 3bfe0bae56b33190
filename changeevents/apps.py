"""The sync engine: change events (the outbox), upstream dispatch, downstream polling, sync triggers."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class ChangeEventsConfig(AppConfig):
    name = "changeevents"
    verbose_name = "Sync engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from connectors.models import SalesforceOrg

        from .schedules import ensure_engine_schedules, org_deleted, org_saved

        post_migrate.connect(ensure_engine_schedules, sender=self, dispatch_uid="scsync-engine-schedules")
        post_save.connect(org_saved, sender=SalesforceOrg, dispatch_uid="scsync-org-schedules")
        post_delete.connect(org_deleted, sender=SalesforceOrg, dispatch_uid="scsync-org-schedules-delete")

        from celery.signals import beat_embedded_init, beat_init, worker_ready, worker_shutdown

        from .health import on_beat_init, on_shutdown, on_worker_ready

        worker_ready.connect(on_worker_ready, dispatch_uid="scsync-heartbeat-worker")
        beat_init.connect(on_beat_init, dispatch_uid="scsync-heartbeat-beat")
        beat_embedded_init.connect(on_beat_init, dispatch_uid="scsync-heartbeat-beat-embedded")
        worker_shutdown.connect(on_shutdown, dispatch_uid="scsync-heartbeat-stop")
