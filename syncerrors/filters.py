"""The console's filters (django-filter): the same as the admin list's, in shareable GET URLs, with plain labels."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from changeevents.models import ChangeEvent
from connectors.models import Store

from .counts import facet_values
from .models import SyncError


def _stores(request):
    if request is None:
        return Store.objects.none()
    return Store.objects.managed_by(request.user)


class SyncErrorFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Salesforce ID, SCID or words of the message"), method="search")
    resolution = django_filters.ChoiceFilter(
        label=_("Show"),
        choices=[("resolved", _("Resolved errors")), ("all", _("All errors"))],
        empty_label=_("Unresolved errors"),
        method="by_resolution",
    )
    store = django_filters.ModelChoiceFilter(label=_("Store"), queryset=_stores, empty_label=_("Any store"))
    sobject = django_filters.ChoiceFilter(label=_("Object"), choices=[], empty_label=_("Any object"))
    status_code = django_filters.ChoiceFilter(label=_("Status code"), choices=[], empty_label=_("Any status code"))
    event_type = django_filters.ChoiceFilter(
        label=_("Event type"), choices=ChangeEvent.EventType.choices, empty_label=_("Any event type")
    )
    processed_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("Processed on or after")
    )
    processed_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Processed on or before")
    )

    class Meta:
        model = SyncError
        fields = ["q", "resolution", "store", "sobject", "status_code", "event_type", "processed_from", "processed_to"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:  # the same cached facets as the admin list's filters
            for name in ("sobject", "status_code"):
                self.filters[name].extra["choices"] = [(v, v) for v in facet_values(request.user, name)]

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("resolution"):
            queryset = queryset.unresolved()  # the default, as in the admin list
        return super().filter_queryset(queryset)

    def by_resolution(self, queryset, name, value):
        return queryset.resolved() if value == "resolved" else queryset

    def search(self, queryset, name, value):
        return queryset.filter(Q(salesforce_id__iexact=value) | Q(scid__iexact=value) | Q(message__icontains=value))
