"""Change Data Capture subscriptions: where each org's change event stream was read up to, and whether it is up."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from connectors.models import SalesforceOrg


class ChangeStreamQuerySet(models.QuerySet):
    def healthy(self, now=None):
        """Subscriptions that are connected and whose listener was heard from within SCSYNC_CDC_STALE_SECONDS:
        while an org has one, its real-time poll is only a safety net."""
        stale = (now or timezone.now()) - timedelta(seconds=settings.SCSYNC_CDC_STALE_SECONDS)
        return self.filter(connected_at__isnull=False, last_heard_at__gte=stale, org__use_change_data_capture=True)


class ChangeStream(models.Model):
    """One org's subscription to a change event channel (/data/ChangeEvents) over the Pub/Sub API.

    `replay_id` is the last event applied (or the stream's latest, from a keepalive): stored in the transaction
    that applied the batch, so a restarted listener resumes after it and nothing is missed or applied twice.
    """

    org = models.ForeignKey(SalesforceOrg, on_delete=models.CASCADE, related_name="change_streams")
    channel = models.CharField(max_length=120, default="/data/ChangeEvents")
    replay_id = models.BinaryField(null=True, blank=True, editable=False)
    connected_at = models.DateTimeField(null=True, blank=True, help_text="Since when it is connected; empty: down.")
    last_heard_at = models.DateTimeField(null=True, blank=True, help_text="The listener's last heartbeat.")
    last_event_at = models.DateTimeField(null=True, blank=True)
    events_applied = models.PositiveBigIntegerField(default=0)
    last_error = models.TextField(blank=True, default="", help_text="Why the subscription last ended.")
    last_error_at = models.DateTimeField(null=True, blank=True)

    objects = ChangeStreamQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "channel"], name="change_stream_unique_per_org")]

    def __str__(self) -> str:
        return f"{self.org} {self.channel}"
