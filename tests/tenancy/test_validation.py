"""Settings that decide where credentials go follow an allow-list: checked on save (the admin's forms) and again
before use (a row saved before the check existed, or written around the admin)."""

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from connectors.catalog.runs import channel_for
from connectors.catalog.shopify import ChannelError
from connectors.models import CatalogConnector, SalesforceOrg
from connectors.salesforce.connection import connection_for
from connectors.validators import validate_login_domain, validate_shop_url
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("domain", ["login", "test", "acme.my.salesforce.com", "acme--uat.sandbox.my.salesforce.com"])
def test_validation_login_domains_that_are_salesforce(domain):
    validate_login_domain(domain)


@pytest.mark.parametrize(
    "domain",
    ["evil.example#", "evil.example", "evil.example/x.my.salesforce.com", "a@b.my.salesforce.com", "acme.my",
     "login.salesforce.com.evil.example", "x.my.salesforce.com:8443", "", "LOGIN "],
)  # fmt: skip
def test_validation_login_domains_that_are_not_refused(domain):
    with pytest.raises(ValidationError, match="is not a Salesforce login domain"):
        validate_login_domain(domain)


@pytest.mark.parametrize(
    ("prefix", "valid"),
    [("SF_ACME", True), ("SF_ACME_2", True), ("SHOPIFY_ACME", False), ("DJANGO_SECRET", False), ("SF_", False),
     ("sf_acme", False), ("SF_ACME\n", False)],
)  # fmt: skip
def test_validation_org_credentials_prefix_is_sf(prefix, valid):
    org = SalesforceOrg(name="x", credentials_env_prefix=prefix)
    errors = _field_errors(org)

    assert ("credentials_env_prefix" not in errors) is valid


@pytest.mark.parametrize(
    ("url", "loopback", "valid"),
    [
        ("https://acme.myshopify.com", False, True),
        ("https://acme.myshopify.com/", False, True),
        ("http://acme.myshopify.com", False, False),
        ("https://acme.myshopify.com.evil.example", False, False),
        ("https://evil.example/acme.myshopify.com", False, False),
        ("https://user@acme.myshopify.com", False, False),
        ("https://acme.myshopify.com:8443", False, False),
        ("https://acme.myshopify.com/admin?x=1", False, False),
        ("https://127.0.0.1:8444", False, False),
        ("https://127.0.0.1:8444", True, True),
        ("https://localhost:8444", True, True),
        ("http://127.0.0.1:8444", True, False),
        ("https://10.0.0.5", True, False),
    ],
)
def test_validation_shop_url_is_https_on_myshopify_or_loopback_where_allowed(settings, url, loopback, valid):
    settings.SCSYNC_ALLOW_LOOPBACK = loopback
    if valid:
        validate_shop_url(url)
    else:
        with pytest.raises(ValidationError, match="is not a shop URL"):
            validate_shop_url(url)


def test_validation_connector_variables_are_shopify(store):
    connector = CatalogConnector(
        store=store, name="c", shop_url="https://acme.myshopify.com", access_token_env="SF_B_PASSWORD",
        ca_file_env="SF_B_PRIVATE_KEY_FILE",
    )  # fmt: skip
    errors = _field_errors(connector)

    assert {"access_token_env", "ca_file_env"} <= set(errors)
    assert "Use SHOPIFY_ followed by" in errors["access_token_env"][0]
    connector.access_token_env, connector.ca_file_env = "SHOPIFY_ACME_TOKEN", "SHOPIFY_ACME_CA"
    assert not {"access_token_env", "ca_file_env", "shop_url"} & set(_field_errors(connector))


def test_validation_again_before_use_an_org_with_a_bad_login_domain_never_connects(db, monkeypatch):
    monkeypatch.setenv("SF_B_PASSWORD", "their-password")
    monkeypatch.setenv("SF_B_SECURITY_TOKEN", "their-token")
    org = SalesforceOrg.objects.create(
        name="Forged", auth_method="password", username="u@example.com", login_domain="evil.example#",
        credentials_env_prefix="SF_B",
    )  # fmt: skip
    renamed = SalesforceOrg.objects.create(name="Renamed", auth_method="session", credentials_env_prefix="B_SECRET")

    with pytest.raises(ImproperlyConfigured, match="Org 'Forged' has an invalid login domain: 'evil.example#'"):
        connection_for(org)
    with pytest.raises(ImproperlyConfigured, match="Org 'Renamed' has an invalid credentials prefix"):
        connection_for(renamed)


def test_validation_again_before_use_a_connector_never_reads_a_foreign_variable(db, monkeypatch, settings):
    settings.SCSYNC_ALLOW_LOOPBACK = False
    monkeypatch.setenv("SF_B_PASSWORD", "their-password")
    store = StoreFactory()
    to_listener = CatalogConnector.objects.create(
        store=store, name="Listener", shop_url="https://127.0.0.1:9", access_token_env="SHOPIFY_A_TOKEN"
    )
    foreign = CatalogConnector.objects.create(
        store=store, name="Foreign", shop_url="https://acme.myshopify.com", access_token_env="SF_B_PASSWORD"
    )

    with pytest.raises(ChannelError, match="Connector 'Listener' has an invalid shop URL"):
        channel_for(to_listener)
    with pytest.raises(ChannelError, match="Connector 'Foreign' has an invalid access token variable"):
        channel_for(foreign)


def _field_errors(instance) -> dict:
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc.message_dict
    return {}
