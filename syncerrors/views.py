"""The console page outside the admin: filter, share the URL, export CSV. Staff only, scoped to their stores."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.template.response import TemplateResponse

from .csv_export import errors_csv_response
from .filters import SyncErrorFilter
from .models import SyncError


def _filtered(request) -> SyncErrorFilter:
    errors = SyncError.objects.visible_to(request.user).select_related("store").order_by("held_by", "-created_at")
    if "resolved" not in request.GET:
        errors = errors.unresolved()
    return SyncErrorFilter(request.GET or None, queryset=errors, request=request)


@staff_member_required
def error_list(request):
    filterset = _filtered(request)
    page = Paginator(filterset.qs.with_held_count(), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "syncerrors/error_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode(), "title": "Sync errors"},
    )


@staff_member_required
def error_csv(request):
    return errors_csv_response(_filtered(request).qs.iterator(chunk_size=500))
