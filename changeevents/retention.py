"""Retention: synced events are history; after SCSYNC_EVENT_RETENTION_DAYS they go. Failures stay."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import ChangeEvent


def prune_synced_events(now=None) -> int:
    """Delete synced and superseded events processed (or created) before the retention; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SCSYNC_EVENT_RETENTION_DAYS)
    old = ChangeEvent.objects.filter(status__in=("synced", "superseded"), created_at__lt=cutoff)
    return old.delete()[1].get(ChangeEvent._meta.label, 0)
