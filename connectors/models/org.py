"""Salesforce orgs and the stores that run from them."""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..validators import salesforce_prefix, validate_email_list, validate_login_domain, validate_webhook_url

API_VERSION_VALIDATOR = RegexValidator(r"^\d{2,3}\.0$", _("An API version looks like 59.0."))


class SalesforceOrgQuerySet(models.QuerySet):
    def with_triggers_on(self):
        return self.filter(triggers_enabled=True)

    def with_triggers_off(self):
        return self.filter(triggers_enabled=False)

    def visible_to(self, user):
        """The orgs a user may see: all for superusers, else the orgs of the stores they manage."""
        if user.is_superuser:
            return self
        return self.filter(pk__in=Store.objects.managed_by(user).values("org_id"))


class SalesforceOrg(models.Model):
    """One Salesforce org. Credentials are never stored: the org names the environment variables holding them."""

    class AuthMethod(models.TextChoices):
        JWT_BEARER = "jwt", _("JWT bearer (connected app + private key)")
        PASSWORD = "password", _("Username + password + security token")
        SESSION = "session", _("Session id + instance URL (the emulated org)")

    name = models.CharField(max_length=100, unique=True)
    login_domain = models.CharField(
        max_length=200,
        default="login",
        validators=[validate_login_domain],
        help_text=_("'login' for production, 'test' for sandboxes, or a My Domain such as acme.my.salesforce.com."),
    )
    api_version = models.CharField(max_length=6, default="59.0", validators=[API_VERSION_VALIDATOR])
    auth_method = models.CharField(max_length=10, choices=AuthMethod.choices, default=AuthMethod.SESSION)
    username = models.CharField(max_length=200, blank=True)
    credentials_env_prefix = models.CharField(
        max_length=50,
        blank=True,
        validators=[salesforce_prefix],
        help_text=_(
            "Prefix of the environment variables holding the secrets, e.g. SF_ACME -> SF_ACME_PASSWORD, "
            "SF_ACME_SECURITY_TOKEN, SF_ACME_CONSUMER_KEY, SF_ACME_PRIVATE_KEY_FILE, SF_ACME_SESSION_ID, "
            "SF_ACME_INSTANCE_URL, SF_ACME_CA_FILE, SF_ACME_PUBSUB_ENDPOINT (default api.pubsub.salesforce.com:7443). "
            "Empty for the emulated org of `make run`."
        ),
    )
    triggers_enabled = models.BooleanField(
        default=True,
        help_text=_("Sync triggers: record changes, import media, adjust inventory. Off only for bulk loads."),
    )
    triggers_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    triggers_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    multi_currency = models.BooleanField(
        default=False,
        help_text=_(
            "The org has multiple currencies enabled: an order is sent with its store's currency (CurrencyIsoCode). "
            "Test connection sets it from the org's Order object."
        ),
    )
    poll_interval_seconds = models.PositiveIntegerField(default=5, validators=[MinValueValidator(1)])
    use_change_data_capture = models.BooleanField(
        _("Use Change Data Capture"),
        default=False,
        help_text=_(
            "Receive the org's changes as they happen (Change Data Capture over the Pub/Sub API, `manage.py "
            "listen_changes`); polling then runs every SCSYNC_CDC_POLL_INTERVAL_SECONDS as a safety net. Select the "
            "synced objects for Change Data Capture in Salesforce Setup first."
        ),
    )
    sending_paused_until = models.DateTimeField(
        null=True, blank=True, help_text=_("Set when Salesforce answers REQUEST_LIMIT_EXCEEDED.")
    )
    alert_emails = models.TextField(
        blank=True,
        default="",
        validators=[validate_email_list],
        help_text=_(
            "Who hears of new sync errors: e-mail addresses, one per line or comma-separated. At most one e-mail per "
            "status code per hour, with the count and a link to the errors."
        ),
    )
    alert_webhook_url = models.CharField(
        max_length=500,
        blank=True,
        default="",
        validators=[validate_webhook_url],
        help_text=_("Optional: the same alert POSTed as JSON to this https URL (a chat or paging webhook)."),
    )
    # The org's API requests in its rolling 24 hours, as the last answer's Sforce-Limit-Info header said
    # (written by the client at most every USAGE_WRITE_SECONDS).
    api_requests_used = models.PositiveIntegerField(null=True, blank=True, editable=False)
    api_requests_limit = models.PositiveIntegerField(null=True, blank=True, editable=False)
    api_usage_read_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SalesforceOrgQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("Salesforce org")

    def __str__(self) -> str:
        return self.name


class StoreQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def managed_by(self, user):
        """The stores a user may see: all for superusers, else those they manage (the one rule of tenancy)."""
        if user.is_superuser:
            return self
        return self.filter(managers=user)

    visible_to = managed_by  # the name every tenant-scoped queryset answers to (scsync_site.tenancy)


class Store(models.Model):
    """A storefront. Several stores run from one org and share its Accounts and Contacts."""

    org = models.ForeignKey(SalesforceOrg, on_delete=models.PROTECT, related_name="stores")
    name = models.CharField(max_length=100)
    domain = models.CharField(max_length=253, unique=True)
    currency = models.CharField(max_length=3, default="USD")
    language = models.CharField(max_length=10, default="en")
    pricebook_reference = models.CharField(
        max_length=64, blank=True, help_text=_("SCID or Salesforce Id of the store's Pricebook2.")
    )
    active = models.BooleanField(default=True)
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="managed_stores")

    objects = StoreQuerySet.as_manager()

    class Meta:
        ordering = ["org__name", "name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="store_unique_name_per_org")]

    def __str__(self) -> str:
        return self.name


def store_or_shared_of_their_orgs(queryset, user, store_owned_sobjects=()):
    """Rows with `store`, `org` and `sobject` a user may see: all for superusers; else those of the stores they
    manage, and the shared rows (no store: Accounts, Contacts, products) of those stores' orgs. A row of an object
    that always belongs to a store (`store_owned_sobjects`, e.g. Order) whose store is unknown is not shared: only
    superusers see it. The one rule for errors and change events alike."""
    if user.is_superuser:
        return queryset
    stores = Store.objects.managed_by(user).values("pk")
    orgs = SalesforceOrg.objects.visible_to(user).values("pk")
    shared = models.Q(store__isnull=True, org__in=orgs) & ~models.Q(sobject__in=list(store_owned_sobjects))
    return queryset.filter(models.Q(store__in=stores) | shared)
