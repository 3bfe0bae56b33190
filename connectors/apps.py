"""Who we talk to: Salesforce orgs, stores, the Salesforce client and sales-channel connectors."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connections"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .catalog.schedules import connector_deleted, connector_saved
        from .models import CatalogConnector

        post_save.connect(connector_saved, sender=CatalogConnector, dispatch_uid="scsync-connector-schedule")
        post_delete.connect(connector_deleted, sender=CatalogConnector, dispatch_uid="scsync-connector-schedule-delete")
