"""Named querysets of the sync engine."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class ChangeEventQuerySet(models.QuerySet):
    def upstream(self):
        return self.filter(direction="up")

    def downstream(self):
        return self.filter(direction="down")

    def pending(self):
        return self.filter(status="pending")

    def in_flight(self):
        return self.filter(status="in_flight")

    def failed(self):
        return self.filter(status="failed")

    def held(self):
        return self.filter(status="held")

    def synced(self):
        return self.filter(status="synced")

    def unresolved(self):
        """Events a person must look at: failed, or held behind a failure."""
        return self.filter(status__in=("failed", "held"))

    def open(self):
        """Events not yet finished: pending, in flight, failed or held."""
        return self.filter(status__in=("pending", "in_flight", "failed", "held"))

    def due(self, now=None):
        """Pending events whose next attempt time has come, and in-flight events whose claim lease expired."""
        now = now or timezone.now()
        return self.filter(Q(status="pending", next_attempt_at__lte=now) | Q(status="in_flight", claimed_until__lt=now))

    def for_record(self, label: str, object_pk: int):
        return self.filter(model_label=label, object_pk=object_pk)
