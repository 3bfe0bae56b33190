"""factory-boy factories for every model of the foundation."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from connectors.models import SalesforceOrg, Store
from storefront import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_staff = True
    password = factory.django.Password("s3cret-pass-123")


class SalesforceOrgFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesforceOrg
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Org {n}")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    org = factory.SubFactory(SalesforceOrgFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    domain = factory.Sequence(lambda n: f"store{n}.example.com")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Account

    org = factory.SubFactory(SalesforceOrgFactory)
    name = factory.Sequence(lambda n: f"Account {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Contact

    account = factory.SubFactory(AccountFactory)
    org = factory.SelfAttribute("account.org")
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Lovelace{n}")
    email = factory.LazyAttribute(lambda o: f"{o.last_name.lower()}@example.com")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Lead

    store = factory.SubFactory(StoreFactory)
    org = factory.SelfAttribute("store.org")
    last_name = factory.Sequence(lambda n: f"Lead{n}")
    company = "Acme"


class ProductCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProductCategory

    org = factory.SubFactory(SalesforceOrgFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Product

    org = factory.SubFactory(SalesforceOrgFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    product_code = factory.Sequence(lambda n: f"P-{n:05d}")
    family = "Hardware"
    stock_level = 100


class ProductVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProductVariant

    product = factory.SubFactory(ProductFactory)
    org = factory.SelfAttribute("product.org")
    name = factory.Sequence(lambda n: f"Variant {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = Decimal("19.90")


class ProductOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProductOption

    configured_product = factory.SubFactory(ProductFactory)
    org = factory.SelfAttribute("configured_product.org")
    optional_product = factory.SubFactory(ProductFactory, org=factory.SelfAttribute("..org"))


class PricebookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Pricebook

    org = factory.SubFactory(SalesforceOrgFactory)
    name = factory.Sequence(lambda n: f"Price book {n}")


class PricebookEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PricebookEntry

    pricebook = factory.SubFactory(PricebookFactory)
    org = factory.SelfAttribute("pricebook.org")
    product = factory.SubFactory(ProductFactory, org=factory.SelfAttribute("..org"))
    unit_price = Decimal("25.00")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Order

    store = factory.SubFactory(StoreFactory)
    org = factory.SelfAttribute("store.org")
    account = factory.SubFactory(AccountFactory, org=factory.SelfAttribute("..org"))
    effective_date = factory.LazyFunction(datetime.date.today)


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OrderItem

    order = factory.SubFactory(OrderFactory)
    org = factory.SelfAttribute("order.org")
    product = factory.SubFactory(ProductFactory, org=factory.SelfAttribute("..org"))
    quantity = Decimal("1")
    unit_price = Decimal("25.00")
    line_number = factory.Sequence(lambda n: n + 1)


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Asset

    account = factory.SubFactory(AccountFactory)
    org = factory.SelfAttribute("account.org")
    name = factory.Sequence(lambda n: f"Subscription {n}")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Case

    contact = factory.SubFactory(ContactFactory)
    org = factory.SelfAttribute("contact.org")
    subject = factory.Sequence(lambda n: f"Case {n}")


def recorded_accounts(org, count: int, prefix: str = "Account") -> None:
    """`count` accounts written and recorded as a bulk load does (bulk_create + record_bulk, one transaction):
    their create events wait in the outbox, with no wake-up sent (none commits inside a test's transaction)."""
    from django.db import transaction

    from changeevents.recording import record_bulk
    from storefront.scid import new_scid

    with transaction.atomic():
        models.Account.objects.bulk_create(
            [models.Account(org=org, name=f"{prefix} {n}", scid=new_scid()) for n in range(count)], batch_size=2000
        )
        record_bulk(models.Account.objects.filter(org=org), "create")


def upstream_changes(org=None) -> list:
    """Upstream events other than SCID write-backs (records born in Salesforce getting their SCID): the website's
    changes, and any echo of the org's."""
    from changeevents.models import ChangeEvent

    events = ChangeEvent.objects.upstream()
    if org is not None:
        events = events.filter(org=org)
    return [e for e in events if set(e.changed_fields or {}) != {"scid"}]


def point_celery_at(monkeypatch, url: str) -> None:
    """This process's Celery app publishes to `url` until the test ends (settings, pools and outage state)."""
    from celery import current_app

    from connectors.broker import outage

    app = current_app._get_current_object()
    # conf.broker_url reads the CELERY_BROKER_URL environment variable (set by .ci/run) before the settings
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setitem(app.conf, "CELERY_BROKER_URL", url)
    if url.startswith("redis://"):
        monkeypatch.setitem(app.conf, "CELERY_BROKER_TRANSPORT_OPTIONS", {"visibility_timeout": 3600})
    # connection pools made meanwhile are dropped afterwards: the old ones come back
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    monkeypatch.setattr(outage, "down_since", None)
    monkeypatch.setattr(outage, "retry_at", 0.0)
    assert app.conf.broker_url == url


def connected_org(monkeypatch, emulated, name: str, prefix: str):
    """A SalesforceOrg named `name` whose credentials (env vars under `prefix`) reach the `emulated` org."""
    from connectors.salesforce import forget_clients

    monkeypatch.setenv(f"{prefix}_INSTANCE_URL", emulated.instance_url)
    monkeypatch.setenv(f"{prefix}_SESSION_ID", emulated.session_id)
    monkeypatch.setenv(f"{prefix}_CA_FILE", str(emulated.ca_file))
    monkeypatch.setenv(f"{prefix}_CONSUMER_KEY", "scsync-tests")
    monkeypatch.setenv(f"{prefix}_CONSUMER_SECRET", "scsync-tests-secret")
    monkeypatch.setenv(f"{prefix}_PUBSUB_ENDPOINT", emulated.pubsub_url)
    forget_clients()
    org = SalesforceOrgFactory(
        name=name, auth_method="session", credentials_env_prefix=prefix, use_change_data_capture=True
    )
    org.emulator = emulated
    return org


def no_inline_rows(page) -> dict:
    """The management forms of every inline on an admin change page, posting no inline rows."""
    return {
        f"{inline.formset.prefix}-{name}": 0
        for inline in page.context["inline_admin_formsets"]
        for name in ("TOTAL_FORMS", "INITIAL_FORMS")
    }


def change_form_data(response) -> dict:
    """The POST data of a rendered admin change form as it stands (fields, inline management forms)."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        forms += list(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = [str(v) for v in value] if isinstance(value, list) else value
    return data
