"""Who we talk to: Salesforce orgs, stores, the Salesforce client and sales-channel connectors."""

from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connections"
    default_auto_field = "django.db.models.BigAutoField"
