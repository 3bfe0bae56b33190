"""The console page outside the admin (filter, share the URL, export CSV) and its JSON twin for embedding the badge
and the list in another app. Staff only, scoped to their stores by the same rule as the admin."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from .counts import CachedCountPaginator, badge_counts
from .csv_export import errors_csv_response
from .filters import SyncErrorFilter
from .models import SyncError

PAGE_SIZE = 50


def _filtered(request) -> SyncErrorFilter:
    errors = SyncError.objects.visible_to(request.user).select_related("store", "org").in_list_order()
    return SyncErrorFilter(request.GET, queryset=errors, request=request)


def _page(request, filterset):
    return CachedCountPaginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_member_required
def error_list(request):
    filterset = _filtered(request)
    context = {
        "filter": filterset,
        "page": _page(request, filterset),
        "query": _query_without_page(request),
        "title": "Sync errors",
    }
    return TemplateResponse(request, "syncerrors/error_list.html", context)


@staff_member_required
def error_csv(request):
    return errors_csv_response(_filtered(request).qs.iterator(chunk_size=500))


def error_api(request):
    """GET /console/api/errors/?<the list's filters>: the badge's counts and one page of errors, as JSON. Session
    authentication (the console's login); 403 for anyone who is not active staff; 400 naming a bad filter."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return JsonResponse({"error": "Log in to the SCSync console as staff to read sync errors."}, status=403)
    filterset = _filtered(request)
    if not filterset.is_valid():
        return JsonResponse({"error": "Bad filter.", "fields": filterset.errors.get_json_data()}, status=400)
    page = _page(request, filterset)
    query = _query_without_page(request)
    return JsonResponse(
        {
            "badge": badge_counts(user),
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "next": f"?{query}{'&' if query else ''}page={page.next_page_number()}" if page.has_next() else None,
            "errors": [_error_json(error) for error in page],
        }
    )


def _error_json(error: SyncError) -> dict:
    return {
        "id": error.pk,
        "object": error.sobject,
        "event_type": error.event_type,
        "processed_at": error.created_at.isoformat(),
        "salesforce_id": error.salesforce_id,
        "scid": error.scid,
        "status_code": error.status_code,
        "message": error.message,
        "store": error.store.name if error.store_id else None,
        "org": error.org.name,
        "holds_back": error.held_count,
        "resolved_at": error.resolved_at.isoformat() if error.resolved_at else None,
        "info_url": reverse("admin:syncerrors_syncerror_info", args=[error.pk]),
    }
