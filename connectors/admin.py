"""Admin for orgs and stores. Credentials are never shown: an org only names its environment variables.

Tenancy (scsync_site.tenancy): superusers manage orgs and add stores; staff view their stores' orgs (and run
"Sync now") and edit their own stores, but never a store's org or managers.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import SalesforceOrg, Store


class OrgFilter(admin.SimpleListFilter):
    """`?org=<id>`: the orgs the user may see, listed from the org table (never by scanning the filtered rows), for
    any list whose rows have an org (sync errors, the outbox, cursors). The dashboard links with it."""

    title = _("org")
    parameter_name = "org"

    def lookups(self, request, model_admin):
        return [(str(org.pk), org.name) for org in SalesforceOrg.objects.visible_to(request.user).order_by("name")]

    def queryset(self, request, queryset):
        return queryset.filter(org_id=self.value()) if self.value() else queryset


class StoreInline(admin.TabularInline):
    model = Store
    extra = 0
    fields = ("name", "domain", "currency", "language", "active")
    show_change_link = True
    superuser_only = {"add", "delete"}


@admin.register(SalesforceOrg)
class SalesforceOrgAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "login_domain",
        "api_version",
        "auth_method",
        "triggers_enabled",
        "use_change_data_capture",
        "poll_interval_seconds",
    )
    list_filter = ("auth_method", "triggers_enabled", "use_change_data_capture")
    search_fields = ("name", "username")
    readonly_fields = ("triggers_changed_at", "triggers_changed_by", "created_at")
    inlines = [StoreInline]
    superuser_only = {"add", "change", "delete"}  # connection, credentials, switches and schedules


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "org", "domain", "currency", "language", "active")
    list_filter = ("org", "active", "currency")
    search_fields = ("name", "domain")
    list_select_related = ("org",)
    filter_horizontal = ("managers",)
    superuser_only = {"add", "delete"}
    superuser_only_fields = ("org", "managers")


from connectors.catalog import admin as catalog_admin  # noqa: E402,F401  (registers the connector admins)
