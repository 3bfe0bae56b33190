"""The website's records and their sync mappings."""

from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "storefront"
    verbose_name = "Website records"
    default_auto_field = "django.db.models.BigAutoField"
