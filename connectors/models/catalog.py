"""Catalog connectors (a store's catalog pushed to a sales channel), their runs and per-item state."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..validators import shopify_variable, validate_shop_url
from .org import Store

FILTER_FIELDS = ("tags", "families", "status_option")


class CatalogConnectorQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The connectors of the stores a user may see."""
        if user.is_superuser:
            return self
        return self.filter(store__in=Store.objects.managed_by(user).values("pk"))


class CatalogConnector(models.Model):
    class Channel(models.TextChoices):
        SHOPIFY = "shopify", _("Shopify")

    class StatusOption(models.TextChoices):
        ALL = "all", _("All (visible -> active, draft -> draft, invisible -> archived)")
        ONLY_VISIBLE = "only_visible", _("Only visible")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="catalog_connectors")
    name = models.CharField(max_length=100)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.SHOPIFY)
    shop_url = models.CharField(
        max_length=255, validators=[validate_shop_url], help_text=_("e.g. https://acme.myshopify.com")
    )
    access_token_env = models.CharField(
        max_length=80,
        validators=[shopify_variable],
        help_text=_("Name of the environment variable holding the Admin API access token (never stored here)."),
    )
    ca_file_env = models.CharField(
        max_length=80,
        blank=True,
        validators=[shopify_variable],
        help_text=_("Variable naming a private CA file (the emulator)."),
    )
    active = models.BooleanField(default=False)
    tags = models.CharField(max_length=255, blank=True, help_text=_("Comma-separated; empty exports every tag."))
    families = models.CharField(max_length=255, blank=True, help_text=_("Comma-separated product families."))
    status_option = models.CharField(max_length=20, choices=StatusOption.choices, default=StatusOption.ONLY_VISIBLE)
    disable_deletions = models.BooleanField(default=True)
    is_test_environment = models.BooleanField(default=False, help_text=_("A test shop, for first runs (rule 11)."))
    interval_minutes = models.PositiveIntegerField(default=15)

    objects = CatalogConnectorQuerySet.as_manager()

    class Meta:
        ordering = ["store", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_channel_display()})"

    def config(self) -> dict:
        return {
            "tags": self.tags,
            "families": self.families,
            "status_option": self.status_option,
            "disable_deletions": self.disable_deletions,
        }

    def clean(self):
        """Rule 07: filters cannot change while a run is in progress."""
        if not self.pk:
            return
        before = CatalogConnector.objects.filter(pk=self.pk).values(*FILTER_FIELDS).first() or {}
        changed = [f for f in FILTER_FIELDS if before.get(f) != getattr(self, f)]
        if changed and self.runs.filter(state__in=[ConnectorRun.State.IN_PROGRESS, ConnectorRun.State.PAUSED]).exists():
            raise ValidationError(
                _(
                    "The filters (%(fields)s) cannot change while a synchronization is in progress or paused: "
                    "wait for it to finish (see the activity log), deactivate the connector, then change them."
                )
                % {"fields": ", ".join(changed)}
            )


class ConnectorRun(models.Model):
    """The activity log: one synchronization of a connector."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        IN_PROGRESS = "in_progress", _("In progress")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        ERROR = "error", _("Error")

    class Kind(models.TextChoices):
        INCREMENTAL = "incremental", _("Incremental")
        FORCE_REFRESH = "force_refresh", _("Force refresh")

    connector = models.ForeignKey(CatalogConnector, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INCREMENTAL)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    cost_points = models.FloatField(default=0)
    config_snapshot = models.JSONField(default=dict, blank=True)
    remaining_keys = models.JSONField(default=list, blank=True, help_text=_("The resume point: items not done yet."))
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.connector} {self.get_kind_display()} {self.get_state_display()}"


class ConnectorItemStateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The item states of the connectors a user may see."""
        return self.filter(connector__in=CatalogConnector.objects.visible_to(user).values("pk"))


class ConnectorItemState(models.Model):
    """What the channel has of one item, and why it was last sent or skipped."""

    connector = models.ForeignKey(CatalogConnector, on_delete=models.CASCADE, related_name="items")
    item_key = models.CharField(max_length=64)
    last_hash = models.CharField(max_length=64, blank=True)
    channel_id = models.CharField(max_length=100, blank=True)
    pending = models.BooleanField(default=False)
    pending_reason = models.CharField(max_length=100, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=255, blank=True)

    objects = ConnectorItemStateQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connector", "item_key"], name="connector_item_unique")]
        ordering = ["connector", "item_key"]

    def __str__(self) -> str:
        return f"{self.connector} {self.item_key}"
