"""Downstream cursors: how far each org's object has been read from Salesforce."""

from django.db import models

from connectors.models import SalesforceOrg

from ..querysets import SyncCursorQuerySet


class SyncCursor(models.Model):
    """(SystemModstamp, Id) of the last row applied, and where the next poll starts reading.

    A poll re-reads the overlap window before the last row (a row committed a moment late still arrives) until a
    poll has run once the window closed (`window_closed`); from then on a quiet object's poll reads only rows newer
    than the last one: none. What commits later still is found by the hourly reconciliation.
    """

    org = models.ForeignKey(SalesforceOrg, on_delete=models.CASCADE, related_name="sync_cursors")
    sobject = models.CharField(max_length=80)
    last_modstamp = models.DateTimeField(null=True, blank=True)
    last_id = models.CharField(max_length=18, blank=True, default="")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    rows_applied = models.PositiveBigIntegerField(default=0)
    window_closed = models.BooleanField(
        default=False, help_text="The overlap window before the last row was re-read after it closed."
    )
    last_reconciled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(
        blank=True, default="", help_text="Why the last poll of this object failed (empty when it succeeded)."
    )
    last_error_at = models.DateTimeField(null=True, blank=True)

    objects = SyncCursorQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "sobject"], name="cursor_unique_per_org_object")]

    def __str__(self) -> str:
        return f"{self.org} {self.sobject} @ {self.last_modstamp}"
