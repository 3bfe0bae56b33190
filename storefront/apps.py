"""The website's records and their sync mappings."""

from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "storefront"
    verbose_name = "Website records"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from changeevents.recording import connect_receivers
        from changeevents.registry import registry

        from .catalog_source import connect_catalog_receivers
        from .receivers import connect_trigger_receivers
        from .schedules import ensure_media_sweep
        from .sync import register_sync_mappings

        register_sync_mappings()
        connect_receivers(m.model for m in registry.all() if m.model._meta.app_label == self.label)
        connect_trigger_receivers()
        connect_catalog_receivers()
        post_migrate.connect(ensure_media_sweep, sender=self, dispatch_uid="scsync-media-sweep")
