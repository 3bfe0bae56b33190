"""Change events: the transactional outbox, and the delivery attempts made for them."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors.models import SalesforceOrg, Store

from ..querysets import ChangeEventQuerySet


class ChangeEvent(models.Model):
    """A create, update or delete of a synced record, in either direction.

    Upstream events are written in the same transaction as the change; Celery messages only wake the
    dispatcher, which claims events by status (never by "id > last seen").
    """

    class Direction(models.TextChoices):
        UPSTREAM = "up", _("Upstream (website to Salesforce)")
        DOWNSTREAM = "down", _("Downstream (Salesforce to website)")

    class EventType(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_FLIGHT = "in_flight", _("In flight")
        SYNCED = "synced", _("Synced")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held")
        SUPERSEDED = "superseded", _("Superseded")
        UNSENT = "unsent", _("Made while sync triggers were off")

    org = models.ForeignKey(SalesforceOrg, on_delete=models.CASCADE, related_name="change_events")
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.UPSTREAM)
    sobject = models.CharField(_("object"), max_length=80)
    model_label = models.CharField(max_length=100)
    object_pk = models.BigIntegerField(null=True, blank=True)
    event_type = models.CharField(max_length=6, choices=EventType.choices)
    changed_fields = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    scid = models.CharField(_("StoreConnect ID"), max_length=64, blank=True, default="")
    salesforce_id = models.CharField(_("Salesforce ID"), max_length=18, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    blocked_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="blocked_events",
        help_text=_("For a held event: the failed event it waits behind (of the same record or a parent)."),
    )
    duplicate_rule_bypass = models.BooleanField(
        default=False, help_text=_("Send with Sforce-Duplicate-Rule-Header allowSave=true (a person confirmed it).")
    )
    had_error = models.BooleanField(
        default=False, help_text=_("A sync error was recorded for it: kept for the longer error retention.")
    )
    last_status_code = models.CharField(max_length=80, blank=True, default="")
    last_message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = ChangeEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            # The dispatcher's claim: due events of one org and direction, oldest first.
            models.Index(fields=["org", "direction", "status", "next_attempt_at"], name="ce_claim_idx"),
            # Per-record order and holds: a record's earlier open events.
            models.Index(fields=["model_label", "object_pk", "status"], name="ce_record_idx"),
            models.Index(fields=["scid"], name="ce_scid_idx"),
            # Retention pruning and the console's date filter.
            models.Index(fields=["status", "processed_at"], name="ce_processed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} {self.sobject} {self.scid or self.salesforce_id}"


class DeliveryAttempt(models.Model):
    """One try at sending an event to Salesforce (or applying it locally), with what came back."""

    event = models.ForeignKey(ChangeEvent, on_delete=models.CASCADE, related_name="delivery_attempts")
    attempted_at = models.DateTimeField(default=timezone.now)
    success = models.BooleanField(default=False)
    status_code = models.CharField(max_length=80, blank=True, default="")
    message = models.TextField(blank=True, default="")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["event", "attempted_at"]
        indexes = [models.Index(fields=["event", "attempted_at"], name="attempt_event_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} {'ok' if self.success else self.status_code}"


class UnsentChange(ChangeEvent):
    """The admin's view of changes made while an org's sync triggers were off (status "unsent")."""

    class Meta:
        proxy = True
        verbose_name = _("change made while sync triggers were off")
        verbose_name_plural = _("changes made while sync triggers were off")
