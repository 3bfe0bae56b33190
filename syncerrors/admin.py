"""The sync-errors console in the admin: list, info view, Re-sync. Thin: the work is in services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from connectors.admin import OrgFilter
from connectors.models import Store

from .counts import CachedCountPaginator, facet_values
from .dashboard import dashboard_for
from .details import error_details
from .models import SyncError
from .querysets import LIST_ORDER
from .resync import resync_errors, resync_status_code


class ResolutionFilter(admin.SimpleListFilter):
    """Unresolved errors by default; resolved ones on request."""

    title = _("resolution")
    parameter_name = "resolution"

    def lookups(self, request, model_admin):
        return [("resolved", _("Resolved")), ("all", _("All"))]

    def choices(self, changelist):
        choices = list(super().choices(changelist))
        choices[0]["display"] = _("Unresolved")  # the default, instead of a second "All"
        return choices

    def queryset(self, request, queryset):
        if self.value() == "resolved":
            return queryset.resolved()
        if self.value() == "all":
            return queryset
        return queryset.unresolved()


class CachedFacetFilter(admin.SimpleListFilter):
    """The distinct values of one column among the errors the user may see, cached until errors change: the list
    never sorts every error to offer its choices."""

    column: str

    def lookups(self, request, model_admin):
        return [(value, value) for value in facet_values(request.user, self.column)]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.column: self.value()}) if self.value() else queryset


class ObjectFilter(CachedFacetFilter):
    title = _("object")
    parameter_name = column = "sobject"


class StatusCodeFilter(CachedFacetFilter):
    title = _("status code")
    parameter_name = column = "status_code"


class StoreFilter(admin.SimpleListFilter):
    """The user's stores, and the records their orgs' stores share (which have no store): from the store table,
    never from the errors."""

    title = _("store")
    parameter_name = "store"
    SHARED = "shared"

    def lookups(self, request, model_admin):
        stores = Store.objects.managed_by(request.user).order_by("name")
        return [(str(s.pk), s.name) for s in stores] + [(self.SHARED, _("Shared by the org's stores"))]

    def queryset(self, request, queryset):
        if self.value() == self.SHARED:
            return queryset.filter(store__isnull=True)
        return queryset.filter(store_id=self.value()) if self.value() else queryset


def message_result(model_admin, request, result) -> None:
    """Say how many errors were re-queued and which are still held, and by what."""
    model_admin.message_user(
        request,
        ngettext("%(count)d error was re-queued.", "%(count)d errors were re-queued.", result.requeued_count)
        % {"count": result.requeued_count},
        messages.SUCCESS if result.requeued_count else messages.WARNING,
    )
    if result.hidden_held:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d held error in a store you cannot see was left alone.",
                "%(count)d held errors in stores you cannot see were left alone.",
                result.hidden_held,
            )
            % {"count": result.hidden_held},
            messages.WARNING,
        )
    for error in result.still_held:
        model_admin.message_user(
            request,
            _("Error %(error)s (%(code)s on %(object)s %(scid)s) is still held by error %(root)s (%(root_code)s).")
            % {
                "error": error.pk,
                "code": error.status_code,
                "object": error.sobject,
                "scid": error.scid,
                "root": error.held_by_id,
                "root_code": error.held_by.status_code,
            },
            messages.WARNING,
        )


@admin.register(SyncError)
class SyncErrorAdmin(admin.ModelAdmin):
    list_display = (
        "info_link",
        "sobject",
        "event_type",
        "created_at",
        "salesforce_id",
        "scid",
        "status_code_wrapped",
        "short_message",
        "store_or_org",
        "held_count",
    )
    list_display_links = None
    list_filter = (
        ResolutionFilter,
        OrgFilter,
        StoreFilter,
        ObjectFilter,
        StatusCodeFilter,
        "event_type",
        "created_at",
    )
    search_fields = ("salesforce_id", "scid", "message")
    list_select_related = ("store", "org")
    list_per_page = 50
    show_full_result_count = False  # a second count of every error the user may see, resolved ones included
    paginator = CachedCountPaginator
    actions = ["resync_selected"]

    class Media:
        css = {"all": ["syncerrors/console.css"]}

    def get_ordering(self, request):
        return list(LIST_ORDER)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="")
    def info_link(self, error):
        url = reverse("admin:syncerrors_syncerror_info", args=[error.pk])
        return format_html(
            '<a href="{}" class="sync-error-info" title="{}"><img src="{}" alt="{}" width="16" height="16"></a>',
            url,
            _("Details and resolution"),
            static("admin/img/icon-viewlink.svg"),
            _("info"),
        )

    @admin.display(description=_("message"))
    def short_message(self, error):
        """One line, cut to the column: the full text on hover, and on the info page."""
        return format_html('<span class="sync-error-message" title="{}">{}</span>', error.message, error.message)

    @admin.display(description=_("status code"), ordering="status_code")
    def status_code_wrapped(self, error):
        # underscores are break opportunities, so a long code wraps instead of widening the column
        return format_html('<span class="sync-error-code">{}</span>', error.status_code.replace("_", "_\u200b"))

    @admin.display(description=_("store"), ordering="store__name")
    def store_or_org(self, error):
        return error.store_label

    def has_resync_permission(self, request, obj=None):
        return request.user.has_perm("syncerrors.resync_syncerror")

    @admin.action(description=_("Re-sync selected errors (and the errors they hold)"), permissions=["resync"])
    def resync_selected(self, request, queryset):
        message_result(self, request, resync_errors(list(queryset), user=request.user))

    # --- the info view and its POST actions -----------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:error_id>/info/", wrap(self.info_view), name="syncerrors_syncerror_info"),
            path("health/<int:org_id>/", wrap(self.org_health_view), name="syncerrors_org_health"),
            path("<int:error_id>/resync/", wrap(self.resync_one_view), name="syncerrors_syncerror_resync"),
            path("<int:error_id>/resync-code/", wrap(self.resync_code_view), name="syncerrors_syncerror_resync_code"),
            path(
                "<int:error_id>/resync-allow-duplicates/",
                wrap(self.allow_duplicates_view),
                name="syncerrors_syncerror_allow_duplicates",
            ),
            *super().get_urls(),
        ]

    def _visible_error(self, request, error_id) -> SyncError:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(SyncError.objects.visible_to(request.user).select_related("held_by"), pk=error_id)

    def info_view(self, request, error_id):
        error = self._visible_error(request, error_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Sync error %(id)s: %(code)s") % {"id": error.pk, "code": error.status_code},
            "error": error,
            **error_details(error, request.user),
        }
        return TemplateResponse(request, "admin/syncerrors/syncerror/info.html", context)

    def org_health_view(self, request, org_id):
        """One org's sync health: the dashboard's row, the lag of every object and the change subscription."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        dashboard = dashboard_for(request.user, org_ids=[org_id])
        if not dashboard.orgs:
            raise Http404("No such org, or not one of yours.")
        health = dashboard.orgs[0]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Sync health of %(org)s") % {"org": health.org.name},
            "dashboard": dashboard,
            "health": health,
        }
        return TemplateResponse(request, "admin/syncerrors/org_health.html", context)

    def resync_one_view(self, request, error_id):
        """Re-sync this error (and what it holds back): the info page's button."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        error = self._visible_error(request, error_id)
        if not self.has_resync_permission(request):
            raise PermissionDenied
        message_result(self, request, resync_errors([error], user=request.user))
        return HttpResponseRedirect(reverse("admin:syncerrors_syncerror_changelist"))

    def resync_code_view(self, request, error_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        error = self._visible_error(request, error_id)
        if not self.has_resync_permission(request):
            raise PermissionDenied
        result = resync_status_code(error.status_code, SyncError.objects.visible_to(request.user), user=request.user)
        message_result(self, request, result)
        return HttpResponseRedirect(reverse("admin:syncerrors_syncerror_changelist"))

    def allow_duplicates_view(self, request, error_id):
        error = self._visible_error(request, error_id)
        if error.status_code != "DUPLICATES_DETECTED" or error.resolved_at:
            raise Http404("Only an unresolved DUPLICATES_DETECTED error can be re-synced allowing duplicates.")
        if not self.has_resync_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            message_result(self, request, resync_errors([error], user=request.user, duplicate_rule_bypass=True))
            return HttpResponseRedirect(reverse("admin:syncerrors_syncerror_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Re-sync allowing duplicates?"),
            "error": error,
        }
        return TemplateResponse(request, "admin/syncerrors/syncerror/allow_duplicates.html", context)
