"""The console's admin site: Django's, with the tenancy rule (scsync_site.tenancy) mixed into every ModelAdmin
registered on it, including third-party ones (auth, django-celery-beat)."""

from django.contrib import admin
from django.db.models.base import ModelBase

from .tenancy import scoped_admin_class


class ConsoleAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        for model in models:
            base = admin_class or admin.ModelAdmin
            if options:  # register(Model, list_display=...) builds a subclass; build it first, then scope it
                base = type(f"{model.__name__}Admin", (base,), {"__module__": __name__, **options})
            super().register(model, scoped_admin_class(model, base))
