"""The org admin with the engine's parts: "Sync now" actions and the triggers switch through set_triggers.

connectors imports no other app, so the engine extends the org admin here: it unregisters connectors' admin and
registers a subclass in its place.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from connectors.admin import OrgFilter, SalesforceOrgAdmin
from connectors.audit import log_change
from connectors.models import SalesforceOrg
from connectors.salesforce.connection import missing_variables

from .downstream import request_poll
from .models import ChangeEvent, ChangeStream, DeliveryAttempt, SyncCursor, UnsentChange
from .org_check import check_org
from .outbox import retry_now
from .registry import ScheduleGroup, registry
from .triggers import set_triggers
from .unsent import TriggersStillOff, catch_up, discard, unsent_by_object

admin.site.unregister(SalesforceOrg)


class ReadOnlyInline(admin.TabularInline):
    """Rows the engine writes, shown and never added, changed or deleted by hand."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrgStatusInline(ReadOnlyInline):
    """A read-only view of the org's sync state, shown to whoever may view the org (the org admin decides that)."""

    def has_view_permission(self, request, obj=None):
        return self.admin_site._registry[SalesforceOrg].has_view_permission(request, obj)


class SyncCursorInline(OrgStatusInline):
    """How far each object has been read, and why its last poll failed."""

    model = SyncCursor
    verbose_name = _("downstream cursor")
    fields = readonly_fields = (
        "sobject",
        "last_modstamp",
        "last_polled_at",
        "last_reconciled_at",
        "rows_applied",
        "last_error",
        "last_error_at",
    )
    ordering = ("sobject",)


class ChangeStreamInline(OrgStatusInline):
    """The org's Change Data Capture subscription: connected since, last heard from, events applied, last error."""

    model = ChangeStream
    verbose_name = _("change event subscription")
    fields = readonly_fields = (
        "channel",
        "connected_at",
        "last_heard_at",
        "last_event_at",
        "events_applied",
        "last_error",
        "last_error_at",
    )


@admin.register(SalesforceOrg)
class SyncedOrgAdmin(SalesforceOrgAdmin):
    actions = ["sync_now", "sync_ten_minute_objects_now", "test_connection"]
    inlines = [*SalesforceOrgAdmin.inlines, SyncCursorInline, ChangeStreamInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        org = self.get_object(request, object_id)
        missing = missing_variables(org) if org is not None and request.method == "GET" else []
        if missing:
            self.message_user(
                request,
                _("This process lacks the org's credential variable(s) %(names)s: nothing can sync until they are set.")
                % {"names": ", ".join(missing)},
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # it spends API calls and records the org's currency setting: for those who own the org's connection
    @admin.action(description=_("Test connection: check the org against the sync mappings"), permissions=["change"])
    def test_connection(self, request, queryset):
        for org in queryset:
            result = check_org(org)
            log_change(request.user, [org], f"Test connection: {result.summary()}")
            if result.ok:
                self.message_user(request, result.summary(), messages.SUCCESS)
            else:
                self.message_user(
                    request,
                    format_html(
                        "{}<ul>{}</ul>",
                        result.summary(),
                        format_html_join("", "<li>{}</li>", ((p,) for p in result.problems)),
                    ),
                    messages.ERROR,
                )

    # a poll changes nothing that was not already going to change: whoever may view the org may ask for one
    @admin.action(description=_("Sync now: read every object from Salesforce"), permissions=["view"])
    def sync_now(self, request, queryset):
        count = request_poll(queryset.values_list("pk", flat=True))
        log_change(request.user, queryset, "Sync now: every object requested from Salesforce.")
        self.message_user(
            request,
            ngettext("A sync of %(count)d org was queued.", "A sync of %(count)d orgs was queued.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Sync price book entries and CPQ now"), permissions=["view"])
    def sync_ten_minute_objects_now(self, request, queryset):
        request_poll(queryset.values_list("pk", flat=True), ScheduleGroup.TEN_MINUTES)
        log_change(request.user, queryset, "Sync now: price book entries and CPQ objects requested from Salesforce.")
        self.message_user(request, _("Price book entries and CPQ objects will be read now."), messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        """Saving triggers_enabled goes through set_triggers, so who and when are logged."""
        if not (change and "triggers_enabled" in form.changed_data):
            return super().save_model(request, obj, form, change)
        wanted = obj.triggers_enabled
        obj.triggers_enabled = not wanted
        super().save_model(request, obj, form, change)
        set_triggers(obj, wanted, user=request.user, reason="Changed in the admin.")
        count = sum(unsent_by_object(obj.pk).values()) if wanted else 0
        if count:
            url = reverse("admin:changeevents_unsentchange_changelist") + f"?org__id__exact={obj.pk}"
            self.message_user(
                request,
                format_html(
                    '{} changes made while the sync triggers were off are not sent. <a href="{}">Review and catch '
                    "them up</a>.",
                    count,
                    url,
                ),
                messages.WARNING,
            )


@admin.register(UnsentChange)
class UnsentChangeAdmin(admin.ModelAdmin):
    """Changes made while an org's sync triggers were off: staff see their stores' and their orgs' shared records'
    (the same rule as sync errors); sending or discarding them needs change permission."""

    list_display = ("sobject", "event_type", "scid", "salesforce_id", "changed", "store", "org", "created_at")
    list_filter = (("org", admin.RelatedOnlyFieldListFilter), "sobject", "event_type")
    search_fields = ("scid", "salesforce_id")
    list_select_related = ("org", "store")
    actions = ["send_now", "discard_changes"]

    def get_queryset(self, request):
        return super().get_queryset(request).unsent()  # the console site applies visible_to

    @admin.display(description=_("changed fields"))
    def changed(self, obj):
        return ", ".join(sorted(obj.changed_fields or {})) or "-"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.action(description=_("Catch up: send the selected changes now"), permissions=["change"])
    def send_now(self, request, queryset):
        try:
            count = catch_up(queryset, user=request.user)
        except TriggersStillOff as exc:
            self.message_user(request, _("Nothing was sent: %(reason)s.") % {"reason": exc}, messages.ERROR)
            return
        self.message_user(request, _("%(count)d changes queued to send.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Discard: never send the selected changes"), permissions=["change"])
    def discard_changes(self, request, queryset):
        count = discard(queryset, user=request.user)
        self.message_user(request, _("%(count)d changes discarded.") % {"count": count}, messages.WARNING)


class ObjectFilter(admin.SimpleListFilter):
    """The synced objects, from the sync mappings (never by scanning the outbox)."""

    title = _("object")
    parameter_name = "sobject"

    def lookups(self, request, model_admin):
        return [(name, name) for name in sorted({mapping.sobject for mapping in registry.all()})]

    def queryset(self, request, queryset):
        return queryset.filter(sobject=self.value()) if self.value() else queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """For support staff: look, never add, change or delete (the engine owns these rows)."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = readonly_fields = ("attempted_at", "success", "http_status", "status_code", "message", "duration_ms")
    ordering = ("attempted_at",)


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    """The outbox: every change event with its attempts, filtered by org, object and status. Staff see their stores'
    events and their orgs' shared records' (the console site applies visible_to). "Retry now" sends a deferred
    event at once instead of after its back-off."""

    list_display = (
        "id",
        "org",
        "direction",
        "sobject",
        "event_type",
        "scid",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "store",
        "created_at",
        "processed_at",
    )
    list_filter = (OrgFilter, ObjectFilter, "status", "direction", "event_type")
    search_fields = ("=scid", "=salesforce_id")
    list_select_related = ("org", "store")
    list_per_page = 50
    show_full_result_count = False
    ordering = ("-id",)
    inlines = [DeliveryAttemptInline]
    actions = ["retry_now_action"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    # retrying moves a deferred send earlier and changes nothing else: whoever may see the event may ask for it
    @admin.action(description=_("Retry now: send the selected deferred changes at once"), permissions=["view"])
    def retry_now_action(self, request, queryset):
        count = retry_now(queryset, user=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d deferred change will be sent now.", "%(count)d deferred changes will be sent now.", count
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
        if not count:
            self.message_user(request, _("Only pending changes waiting for a later attempt can be retried now."))


@admin.register(SyncCursor)
class SyncCursorAdmin(ReadOnlyAdmin):
    """How far each org's objects have been read from Salesforce: staff see their orgs' cursors."""

    list_display = ("org", "sobject", "last_polled_at", "last_modstamp", "rows_applied", "last_error", "last_error_at")
    list_filter = (OrgFilter, ObjectFilter)
    list_select_related = ("org",)
    ordering = ("org__name", "sobject")
