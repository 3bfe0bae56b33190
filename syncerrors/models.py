"""Sync errors: a change Salesforce rejected (or that waits behind one), kept until someone fixes it."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from changeevents.models import ChangeEvent
from connectors.models import SalesforceOrg, Store

from .querysets import SyncErrorQuerySet

# Codes the engine itself assigns to events held behind another failure.
HELD_BEHIND_RECORD = "INVALID_CHANGE_EVENT"  # an earlier change of the same record failed
HELD_BEHIND_PARENT = "INVALID_FIELD"  # the record's parent failed


class SyncError(models.Model):
    """One failed (or held) change event, with what Salesforce said and what was sent."""

    # SET_NULL: pruning events never deletes error history (the error keeps its own copy of what it is about)
    event = models.ForeignKey(ChangeEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="sync_errors")
    org = models.ForeignKey(SalesforceOrg, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sobject = models.CharField(_("object"), max_length=80)
    event_type = models.CharField(max_length=6, choices=ChangeEvent.EventType.choices)
    scid = models.CharField(_("StoreConnect ID"), max_length=64, blank=True, default="")
    salesforce_id = models.CharField(_("Salesforce ID"), max_length=18, blank=True, default="")
    status_code = models.CharField(max_length=80)
    message = models.TextField(blank=True, default="")
    fields = models.JSONField(default=list, blank=True)
    raw_response = models.TextField(blank=True, default="")
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    held_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="held_errors",
        help_text=_("The error this one waits behind (for INVALID_CHANGE_EVENT and parent INVALID_FIELD)."),
    )
    held_count = models.PositiveIntegerField(
        _("holds back"),
        default=0,
        editable=False,
        help_text=_("Unresolved errors waiting behind this one: kept by syncerrors.counts.errors_changed()."),
    )
    created_at = models.DateTimeField(_("processed at"), default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SyncErrorQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("resync_syncerror", "Can re-sync sync errors")]
        indexes = [
            models.Index(fields=["resolved_at", "created_at"], name="syncerror_open_idx"),
            models.Index(fields=["org", "store", "resolved_at"], name="syncerror_scope_idx"),
            models.Index(fields=["status_code"], name="syncerror_code_idx"),
            # the console's facets: one index scan per filter instead of a sort of every unresolved row
            models.Index(fields=["resolved_at", "sobject"], name="syncerror_open_object_idx"),
            models.Index(fields=["resolved_at", "status_code"], name="syncerror_open_code_idx"),
            models.Index(fields=["resolved_at", "store"], name="syncerror_open_store_idx"),
            models.Index(fields=["scid"], name="syncerror_scid_idx"),
            models.Index(fields=["salesforce_id"], name="syncerror_sfid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.status_code} on {self.sobject} {self.scid}"

    @property
    def store_label(self) -> str:
        """The store, or for an org-shared record (no store) its org: what the console's Store column says."""
        if self.store_id:
            return self.store.name
        return _("%(org)s (shared by its stores)") % {"org": self.org.name}

    @property
    def is_held(self) -> bool:
        return self.held_by_id is not None

    @property
    def is_parent_failure(self) -> bool:
        """INVALID_FIELD from the engine (a parent failed), as opposed to Salesforce's unknown-field error."""
        return self.status_code == HELD_BEHIND_PARENT and self.held_by_id is not None
