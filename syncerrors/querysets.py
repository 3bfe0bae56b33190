"""Named querysets of the console."""

from django.db import models
from django.db.models import Count, Q

from connectors.models import SalesforceOrg, Store


class SyncErrorQuerySet(models.QuerySet):
    def unresolved(self):
        return self.filter(resolved_at__isnull=True)

    def resolved(self):
        return self.filter(resolved_at__isnull=False)

    def roots(self):
        """Errors that hold no-one back themselves: the first failure of a chain."""
        return self.filter(held_by__isnull=True)

    def held(self):
        return self.filter(held_by__isnull=False)

    def visible_to(self, user):
        """Superusers see every error; staff see the errors of the stores they manage (and their orgs' shared
        records, which have no store)."""
        if user.is_superuser:
            return self
        stores = Store.objects.managed_by(user).values("pk")
        orgs = SalesforceOrg.objects.visible_to(user).values("pk")
        return self.filter(Q(store__in=stores) | Q(store__isnull=True, org__in=orgs))

    def with_held_count(self):
        return self.annotate(
            held_count=Count("held_errors", filter=Q(held_errors__resolved_at__isnull=True), distinct=True)
        )
