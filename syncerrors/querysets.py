"""Named querysets of the console."""

from django.db import models

from changeevents.registry import registry
from connectors.models import store_or_shared_of_their_orgs

# The console's order: root errors first (a held error points at its root), newest first; syncerror_list_idx walks it.
LIST_ORDER = (models.F("held_by").asc(nulls_first=True), "-created_at")


# Aggregates for problem_counts(), also grouped per org by the dashboard.
PROBLEM_COUNTS = {"every": models.Count("pk"), "held": models.Count("pk", filter=models.Q(held_by__isnull=False))}


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

    def in_list_order(self):
        return self.order_by(*LIST_ORDER)

    def problem_counts(self) -> dict:
        """{"problems": root errors, "held": changes held behind them} among these (unresolved) errors."""
        counts = self.order_by().aggregate(**PROBLEM_COUNTS)
        return {"problems": counts["every"] - counts["held"], "held": counts["held"]}

    def visible_to(self, user):
        """Superusers see every error; staff see the errors of the stores they manage (and their orgs' shared
        records, which have no store)."""
        return store_or_shared_of_their_orgs(self, user, registry.store_owned_sobjects())
