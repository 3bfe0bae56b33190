"""Named querysets of the console."""

from django.db import models

from changeevents.registry import registry
from connectors.models import store_or_shared_of_their_orgs


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
        return store_or_shared_of_their_orgs(self, user, registry.store_owned_sobjects())
