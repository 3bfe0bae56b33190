"""The console's admin site: Django's, with the tenancy rule (scsync_site.tenancy) mixed into every ModelAdmin
registered on it, including third-party ones (auth, django-celery-beat), the sync-health dashboard on its index,
and the apps an operator works in listed first."""

from django.contrib import admin
from django.db.models.base import ModelBase

from .tenancy import scoped_admin_class

# The index lists these apps first, in this order (by app label); the rest follow alphabetically.
APP_ORDER = ("connectors", "syncerrors", "storefront")


class ConsoleAdminSite(admin.AdminSite):
    index_template = "admin/console_index.html"
    # the app sidebar takes a quarter of a 1,280 px screen from the error list; the index and breadcrumbs navigate
    enable_nav_sidebar = False

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        for model in models:
            base = admin_class or admin.ModelAdmin
            if options:  # register(Model, list_display=...) builds a subclass; build it first, then scope it
                base = type(f"{model.__name__}Admin", (base,), {"__module__": __name__, **options})
            super().register(model, scoped_admin_class(model, base))

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        first = {label: position for position, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: (first.get(app["app_label"], len(APP_ORDER)), app["name"].lower()))
