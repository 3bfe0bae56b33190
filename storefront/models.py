"""The website's records that SCSync keeps in step with Salesforce.

Accounts, Contacts, Campaigns, products and price books belong to the org and are shared by its stores;
Orders (and the Leads, Cases and Assets a store captured, and those Leads' campaign memberships) belong to a store.
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from changeevents.recording import remember_snapshot
from connectors.models import SalesforceOrg, Store

from .querysets import OrgScopedQuerySet, StoreScopedQuerySet
from .scid import new_scid


class SyncedRecord(models.Model):
    """Fields every synced record has: its org, its SCID (External_ID__c) and its Salesforce Id."""

    org = models.ForeignKey(SalesforceOrg, on_delete=models.PROTECT, related_name="+")
    scid = models.CharField(
        _("StoreConnect ID"),
        max_length=64,
        default=new_scid,
        help_text=_(
            "Salesforce External_ID__c, unique within the org. Assigned at creation, never reused; a legacy id when "
            "migrated (two orgs migrated from one legacy system may share one)."
        ),
    )
    salesforce_id = models.CharField(_("Salesforce ID"), max_length=18, blank=True, default="")
    salesforce_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="Hash of the last row applied downstream.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["org", "scid"], name="%(app_label)s_%(class)s_scid_unique_per_org"),
            models.UniqueConstraint(
                fields=["org", "salesforce_id"],
                condition=~Q(salesforce_id=""),
                name="%(app_label)s_%(class)s_sfid_unique_per_org",
            ),
        ]

    def save(self, *args, **kwargs):
        # One transaction for the row and its change event (Django sends post_save outside its own).
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        remember_snapshot(instance)  # so a later save records only the fields that changed
        return instance


class StoreRecord(SyncedRecord):
    """A synced record that a store owns (an order, or a lead or case captured by a store)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")

    objects = StoreScopedQuerySet.as_manager()

    class Meta(SyncedRecord.Meta):
        abstract = True


class Account(SyncedRecord):
    name = models.CharField(max_length=255)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    billing_street = models.CharField(max_length=255, blank=True)
    billing_city = models.CharField(max_length=40, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_state_code = models.CharField(max_length=10, blank=True)
    billing_country_code = models.CharField(max_length=2, blank=True)

    class Meta(SyncedRecord.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(SyncedRecord):
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    first_name = models.CharField(max_length=40, blank=True)
    last_name = models.CharField(max_length=80)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    mailing_street = models.CharField(max_length=255, blank=True)
    mailing_city = models.CharField(max_length=40, blank=True)
    mailing_postal_code = models.CharField(max_length=20, blank=True)
    mailing_state_code = models.CharField(max_length=10, blank=True)
    mailing_country_code = models.CharField(max_length=2, blank=True)
    email_bounced = models.BooleanField(default=False)

    class Meta(SyncedRecord.Meta):
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Lead(SyncedRecord):
    class Status(models.TextChoices):
        OPEN = "Open - Not Contacted"
        WORKING = "Working - Contacted"
        CONVERTED = "Closed - Converted"
        NOT_CONVERTED = "Closed - Not Converted"

    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    first_name = models.CharField(max_length=40, blank=True)
    last_name = models.CharField(max_length=80)
    company = models.CharField(max_length=255)
    email = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=40, choices=Status.choices, default=Status.OPEN)

    objects = StoreScopedQuerySet.as_manager()

    class Meta(SyncedRecord.Meta):
        ordering = ["last_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.company})".strip()


class Campaign(SyncedRecord):
    """A marketing campaign; shared by the org's stores, like the Contacts and Leads it reaches."""

    class Status(models.TextChoices):
        PLANNED = "Planned"
        IN_PROGRESS = "In Progress"
        COMPLETED = "Completed"
        ABORTED = "Aborted"

    name = models.CharField(max_length=80)
    status = models.CharField(max_length=40, choices=Status.choices, default=Status.PLANNED)
    type = models.CharField(max_length=40, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=False)

    class Meta(SyncedRecord.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CampaignMember(SyncedRecord):
    """A Contact or a Lead in a campaign. A lead's membership belongs to the lead's store; a contact's is the
    org's, like the contact."""

    class Status(models.TextChoices):
        SENT = "Sent"
        RESPONDED = "Responded"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=40, choices=Status.choices, default=Status.SENT)

    store_path = "lead__store"
    objects = StoreScopedQuerySet.as_manager()

    class Meta(SyncedRecord.Meta):
        ordering = ["campaign_id", "pk"]
        constraints = [
            *SyncedRecord.Meta.constraints,
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(lead__isnull=False), name="campaignmember_contact_or_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact or self.lead} in {self.campaign}"

    def clean(self):
        if self.contact_id is None and self.lead_id is None:
            raise ValidationError(_("A campaign member is a contact or a lead: give one."))


class ProductCategory(SyncedRecord):
    name = models.CharField(max_length=80)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    description = models.TextField(blank=True)
    tags = models.CharField(max_length=255, blank=True, help_text=_("Comma-separated; used by catalog connectors."))

    class Meta(SyncedRecord.Meta):
        ordering = ["name"]
        verbose_name_plural = _("product categories")

    def __str__(self) -> str:
        return self.name


class Product(SyncedRecord):
    """Product2."""

    class Visibility(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        DRAFT = "draft", _("Draft")
        INVISIBLE = "invisible", _("Invisible")

    name = models.CharField(max_length=255)
    product_code = models.CharField(max_length=255, blank=True)
    family = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE)
    stock_level = models.IntegerField(default=0)
    media_url = models.CharField(max_length=1000, blank=True)
    cdn_url = models.CharField(_("CDN URL"), max_length=1000, blank=True)
    tags = models.CharField(max_length=255, blank=True, help_text=_("Comma-separated; used by catalog connectors."))
    categories = models.ManyToManyField(ProductCategory, blank=True, related_name="products")

    class Meta(SyncedRecord.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductVariant(SyncedRecord):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=80)
    sku = models.CharField(max_length=80, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    option_values = models.CharField(max_length=255, blank=True, help_text=_("e.g. Size=M;Colour=Red"))
    tags = models.CharField(max_length=255, blank=True)

    class Meta(SyncedRecord.Meta):
        ordering = ["product_id", "name"]

    def __str__(self) -> str:
        return f"{self.product} / {self.name}"


class ProductOption(SyncedRecord):
    """CPQ bundle option (SBQQ__ProductOption__c): an optional product inside a configured bundle."""

    configured_product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="bundle_options")
    optional_product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(default=10)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=1)

    class Meta(SyncedRecord.Meta):
        ordering = ["configured_product_id", "number"]

    def __str__(self) -> str:
        return f"{self.configured_product} + {self.optional_product}"


class Pricebook(SyncedRecord):
    """Pricebook2."""

    name = models.CharField(max_length=255)
    is_active = models.BooleanField(default=True)
    description = models.TextField(blank=True)

    class Meta(SyncedRecord.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PricebookEntry(SyncedRecord):
    pricebook = models.ForeignKey(Pricebook, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="pricebook_entries")
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    is_active = models.BooleanField(default=True)
    currency = models.CharField(max_length=3, default="USD")
    composite_key = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        editable=False,
        help_text=_("pricebook|product|currency, unique within the org (SCIDs are)"),
    )

    class Meta(SyncedRecord.Meta):
        ordering = ["pricebook_id", "product_id"]
        verbose_name_plural = _("pricebook entries")
        constraints = [
            *SyncedRecord.Meta.constraints,
            models.UniqueConstraint(fields=["org", "composite_key"], name="pricebookentry_key_unique_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.product} @ {self.unit_price} {self.currency}"


class Order(StoreRecord):
    class Status(models.TextChoices):
        DRAFT = "Draft"
        ACTIVATED = "Activated"
        CANCELLED = "Cancelled"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="orders")
    bill_to_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    pricebook = models.ForeignKey(Pricebook, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    effective_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    description = models.TextField(blank=True)

    class Meta(StoreRecord.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Order {self.scid}"


class OrderItem(SyncedRecord):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pricebook_entry = models.ForeignKey(
        PricebookEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    line_number = models.PositiveIntegerField(default=1)
    composite_key = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        editable=False,
        help_text=_("order|line number, unique within the org (SCIDs are)"),
    )

    store_path = "order__store"
    objects = StoreScopedQuerySet.as_manager()

    class Meta(SyncedRecord.Meta):
        ordering = ["order_id", "line_number"]
        constraints = [
            *SyncedRecord.Meta.constraints,
            models.UniqueConstraint(fields=["org", "composite_key"], name="orderitem_key_unique_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.order} line {self.line_number}"


class Asset(SyncedRecord):
    """A subscription."""

    class Status(models.TextChoices):
        PURCHASED = "Purchased"
        SHIPPED = "Shipped"
        INSTALLED = "Installed"
        REGISTERED = "Registered"
        OBSOLETE = "Obsolete"

    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PURCHASED)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=1)
    usage_end_date = models.DateField(null=True, blank=True)

    objects = StoreScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class Case(SyncedRecord):
    class Status(models.TextChoices):
        NEW = "New"
        WORKING = "Working"
        ESCALATED = "Escalated"
        CLOSED = "Closed"

    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    origin = models.CharField(max_length=40, blank=True, default="Web")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")

    objects = StoreScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return self.subject or self.scid


class MediaImport(models.Model):
    """One import of a product's media URL into content-addressed storage (the CDN URL comes from it)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="media_imports")
    source_url = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sha256 = models.CharField(max_length=64, blank=True)
    stored_path = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now, help_text=_("When its task was last queued."))
    attempts = models.PositiveSmallIntegerField(default=1, help_text=_("How many times its task was queued."))
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.product} <- {self.source_url} ({self.status})"


class StockReservation(models.Model):
    """How much of a product an order line holds. Adjustments move stock by the difference to what the line
    should hold now, so a re-sync or a retried task never adjusts twice. A deleted line's reservation is kept
    (no line) until its stock is given back."""

    # SET_NULL: a deleted line's reservation stays until its stock is given back (inventory.release_orphans)
    order_item = models.OneToOneField(
        OrderItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="stock_reservation"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.order_item}: {self.quantity} of {self.product}"
