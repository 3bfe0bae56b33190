"""Retention: synced events are history and go SCSYNC_EVENT_RETENTION_DAYS after they were processed.

An event that had a sync error (resolved or not) is kept for SCSYNC_ERROR_EVENT_RETENTION_DAYS; failed, held and
pending events are never pruned. Deletes go in batches of SCSYNC_PRUNE_BATCH, each its own short transaction, and
a sync error never goes with its event (its foreign key is set to null: the error keeps its own copy).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import ChangeEvent

FINISHED = ("synced", "superseded")


def prunable(now=None):
    """Finished events past their retention: the error retention for those that had an error."""
    now = now or timezone.now()
    synced_cutoff = now - timedelta(days=settings.SCSYNC_EVENT_RETENTION_DAYS)
    error_cutoff = now - timedelta(days=settings.SCSYNC_ERROR_EVENT_RETENTION_DAYS)
    return ChangeEvent.objects.filter(status__in=FINISHED).filter(
        Q(had_error=False, processed_at__lt=synced_cutoff) | Q(had_error=True, processed_at__lt=error_cutoff)
    )


def prune_synced_events(now=None, batch: int | None = None) -> int:
    """Delete finished events past their retention, a batch at a time; returns how many went."""
    batch = batch or settings.SCSYNC_PRUNE_BATCH
    old = prunable(now)
    deleted = 0
    while True:
        ids = list(old.order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += ChangeEvent.objects.filter(id__in=ids).delete()[1].get(ChangeEvent._meta.label, 0)
