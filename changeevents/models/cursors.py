"""Downstream cursors: how far each org's object has been read from Salesforce."""

from django.db import models

from connectors.models import SalesforceOrg


class SyncCursor(models.Model):
    """(SystemModstamp, Id) of the last row applied; polls re-read a small overlap window before it."""

    org = models.ForeignKey(SalesforceOrg, on_delete=models.CASCADE, related_name="sync_cursors")
    sobject = models.CharField(max_length=80)
    last_modstamp = models.DateTimeField(null=True, blank=True)
    last_id = models.CharField(max_length=18, blank=True, default="")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    rows_applied = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "sobject"], name="cursor_unique_per_org_object")]

    def __str__(self) -> str:
        return f"{self.org} {self.sobject} @ {self.last_modstamp}"
