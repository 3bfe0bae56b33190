"""Polling as the safety net of Change Data Capture: which scheduled polls an org with a healthy subscription skips.

While an org's subscription is healthy (ChangeStream.objects.healthy()), the real-time poll reads every object once
every SCSYNC_CDC_POLL_INTERVAL_SECONDS (the reconciliation counts as such a read) and the ten-minute group is
folded into it: a quiet org costs at most 60 API calls an hour. When the subscription has not been heard from for
SCSYNC_CDC_STALE_SECONDS, the org's own interval resumes at the next Beat tick.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from .models import ChangeStream, SyncCursor
from .registry import ScheduleGroup


def safety_net(org_id: int, group: str | None) -> tuple[str | None, str | None]:
    """For a scheduled poll of an org's group: (why it is not needed now, or None; the group to read).

    Only while the org's subscription is healthy: the ten-minute group is read by the real-time safety net, which
    reads every object (group None) once a SCSYNC_CDC_POLL_INTERVAL_SECONDS."""
    if group is None or not ChangeStream.objects.healthy().filter(org_id=org_id).exists():
        return None, group
    if group == ScheduleGroup.TEN_MINUTES:
        return "Change Data Capture is healthy: the safety-net poll reads this group", group
    seconds = settings.SCSYNC_CDC_POLL_INTERVAL_SECONDS
    interval = timedelta(seconds=seconds)
    read = SyncCursor.objects.filter(org_id=org_id).aggregate(
        polled=Max("last_polled_at"), reconciled=Max("last_reconciled_at")
    )
    last = max((t for t in read.values() if t), default=None)
    # a little slack: a read that ran a Beat tick early still counts, so one read a minute stays one read
    if last and timezone.now() - last < interval - timedelta(seconds=1):
        return f"Change Data Capture is healthy: the safety-net poll runs every {seconds} s", group
    return None, None
