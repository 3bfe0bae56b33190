"""Named querysets of the sync engine."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from connectors.models import SalesforceOrg, store_or_shared_of_their_orgs

from .registry import registry


class ChangeEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Superusers see every event; staff the events of their stores and their orgs' shared records."""
        return store_or_shared_of_their_orgs(self, user, registry.store_owned_sobjects())

    def unsent(self):
        """Changes recorded while the org's sync triggers were off: listed, sent only when caught up."""
        return self.filter(status="unsent")

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
        """Events not yet finished: pending, in flight, failed, held, or unsent (made while triggers were off)."""
        return self.filter(status__in=("pending", "in_flight", "failed", "held", "unsent"))

    def due(self, now=None):
        """Pending events whose next attempt time has come, and in-flight events whose claim lease expired."""
        now = now or timezone.now()
        return self.filter(Q(status="pending", next_attempt_at__lte=now) | Q(status="in_flight", claimed_until__lt=now))

    def for_record(self, label: str, object_pk: int):
        return self.filter(model_label=label, object_pk=object_pk)


class SyncCursorQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Whoever may see an org sees how far its objects have been read (as on the org's page)."""
        return self.filter(org__in=SalesforceOrg.objects.visible_to(user))
