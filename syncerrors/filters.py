"""The console's filters (django-filter): the same as the admin list's, in shareable GET URLs."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from changeevents.models import ChangeEvent
from connectors.models import Store

from .models import SyncError


def _stores(request):
    if request is None:
        return Store.objects.none()
    return Store.objects.managed_by(request.user)


class SyncErrorFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search (Salesforce ID, SCID, message)"), method="search")
    store = django_filters.ModelChoiceFilter(queryset=_stores)
    sobject = django_filters.ChoiceFilter(label=_("Object"), choices=[], empty_label=_("any object"))
    status_code = django_filters.ChoiceFilter(choices=[], empty_label=_("any status code"))
    event_type = django_filters.ChoiceFilter(choices=ChangeEvent.EventType.choices, empty_label=_("any event type"))
    processed_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("From"))
    processed_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("To"))
    resolved = django_filters.BooleanFilter(field_name="resolved_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = SyncError
        fields = ["q", "store", "sobject", "status_code", "event_type", "processed_from", "processed_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        base = self.queryset
        self.filters["sobject"].extra["choices"] = [(v, v) for v in _distinct(base, "sobject")]
        self.filters["status_code"].extra["choices"] = [(v, v) for v in _distinct(base, "status_code")]

    def search(self, queryset, name, value):
        return queryset.filter(Q(salesforce_id__iexact=value) | Q(scid__iexact=value) | Q(message__icontains=value))


def _distinct(queryset, field):
    return queryset.order_by(field).values_list(field, flat=True).distinct()
