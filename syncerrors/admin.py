"""The sync-errors console in the admin: list, info view, Re-sync. Thin: the work is in services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .details import error_details
from .models import SyncError
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
        "status_code",
        "short_message",
        "store",
        "held_count",
    )
    list_display_links = None
    list_filter = (
        ResolutionFilter,
        ("store", admin.RelatedOnlyFieldListFilter),
        "sobject",
        "status_code",
        "event_type",
        "created_at",
    )
    search_fields = ("salesforce_id", "scid", "message")
    list_select_related = ("store",)
    list_per_page = 50
    actions = ["resync_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_held_count()  # the console site applies visible_to

    def get_ordering(self, request):
        # Root errors first (a held error points at its root), newest first within each group.
        return [F("held_by").asc(nulls_first=True), "-created_at"]

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
        return error.message if len(error.message) <= 120 else error.message[:117] + "..."

    @admin.display(description=_("holds back"), ordering="held_count")
    def held_count(self, error):
        return error.held_count

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
