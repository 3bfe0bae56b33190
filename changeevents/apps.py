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
