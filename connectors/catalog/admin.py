"""Admin for catalog connectors: Activate / Deactivate / Refresh / Force refresh, the activity log, item states.

Tenancy (scsync_site.tenancy): superusers add connectors and own where they send and with what (store, shop URL,
token and CA variables, schedule); staff of the store change the filters and run the actions.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from ..models import CatalogConnector, ConnectorItemState, ConnectorRun
from . import services


class ConnectorRunInline(admin.TabularInline):
    model = ConnectorRun
    extra = 0
    can_delete = False
    fields = (
        "kind",
        "state",
        "started_at",
        "ended_at",
        "sent",
        "skipped",
        "failed",
        "deleted",
        "cost_points",
        "message",
    )
    readonly_fields = fields
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CatalogConnector)
class CatalogConnectorAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "store",
        "channel",
        "active",
        "status_option",
        "tags",
        "families",
        "disable_deletions",
        "is_test_environment",
    )
    list_filter = ("active", "channel", "is_test_environment")
    list_select_related = ("store",)
    search_fields = ("name", "tags", "families")
    inlines = [ConnectorRunInline]
    actions = ["activate", "deactivate", "refresh", "force_refresh"]
    superuser_only = {"add", "delete"}
    superuser_only_fields = ("store", "channel", "shop_url", "access_token_env", "ca_file_env", "interval_minutes")

    @admin.action(description=_("Activate (resumes an interrupted run)"), permissions=["change"])
    def activate(self, request, queryset):
        services.set_active(queryset, True, user=request.user)
        self.message_user(request, _("Activated; scheduled runs are on."), messages.SUCCESS)

    @admin.action(description=_("Deactivate (stops after the current small batch)"), permissions=["change"])
    def deactivate(self, request, queryset):
        services.set_active(queryset, False, user=request.user)
        self.message_user(request, _("Deactivated; scheduled runs are off."), messages.SUCCESS)

    @admin.action(description=_("Refresh (send what changed, with the current configuration)"), permissions=["change"])
    def refresh(self, request, queryset):
        services.refresh(queryset, user=request.user)
        self.message_user(request, _("Refresh queued."), messages.SUCCESS)

    @admin.action(description=_("Force refresh (send every visible item; no deletions)"), permissions=["change"])
    def force_refresh(self, request, queryset):
        services.refresh(queryset, force=True, user=request.user)
        self.message_user(request, _("Force refresh queued; it waits for a run in progress."), messages.SUCCESS)


@admin.register(ConnectorItemState)
class ConnectorItemStateAdmin(admin.ModelAdmin):
    list_display = ("item_key", "connector", "last_result", "pending", "pending_reason", "channel_id", "last_sent_at")
    list_filter = ("connector", "pending")
    search_fields = ("item_key", "last_result", "channel_id")
    list_select_related = ("connector",)
    readonly_fields = [f.name for f in ConnectorItemState._meta.fields]

    def has_add_permission(self, request):
        return False
