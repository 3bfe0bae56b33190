"""Checking an org before syncing: the org admin's "Test connection", `manage.py check_org`, and the warning for
missing credential variables (issue 15, point 7). Against the emulated org (a real HTTPS server in this
process)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from changeevents.org_check import check_org
from connectors.models import SalesforceOrg
from storefront.models import Product

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_test_connection_on_an_org_whose_lead_lacks_external_id_reports_exactly_that(sf_org, org_schema, admin_client):
    del org_schema["objects"]["Lead"]["fields"]["External_ID__c"]
    sf_org.emulator.control.load_schema(org_schema)

    response = admin_client.post(
        reverse("admin:connectors_salesforceorg_changelist"),
        {"action": "test_connection", "_selected_action": [sf_org.pk]},
        follow=True,
    )

    result = check_org(sf_org)
    assert result.problems == ["Lead: External_ID__c is missing"]
    [message] = _messages(response)
    assert "1 problem(s)" in message and "<li>Lead: External_ID__c is missing</li>" in message
    assert "API usage" in message


def test_check_org_reports_fields_external_ids_picklists_and_usage_and_exits_1(sf_org, org_schema):
    fields = org_schema["objects"]
    del fields["Contact"]["fields"]["MailingCity"]
    fields["Account"]["fields"]["External_ID__c"]["externalId"] = False
    fields["Product2"]["fields"]["Family"]["values"].remove("Hardware")
    sf_org.emulator.control.load_schema(org_schema)
    Product.objects.create(org=sf_org, name="Drill", family="Hardware")
    out = StringIO()

    with pytest.raises(CommandError, match="Not ready to sync: Emulated \\(3 problem\\(s\\)\\)"):
        call_command("check_org", "--org", sf_org.name, stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Emulated: 3 problem(s) in ") and "API usage" in lines[0]
    assert sorted(lines[1:]) == [
        "  Account: External_ID__c is not an external ID",
        "  Contact: missing field(s) MailingCity",
        "  Product2: Family lacks picklist value(s) the website uses: Hardware",
    ]


def test_a_ready_org_passes_and_its_currency_setting_is_learnt(sf_org):
    out = StringIO()

    call_command("check_org", "--org", sf_org.name, stdout=out)

    assert "Emulated: ready to sync; API usage" in out.getvalue()
    assert SalesforceOrg.objects.get(pk=sf_org.pk).multi_currency is True  # the emulated Order has CurrencyIsoCode


def test_an_org_that_cannot_connect_says_why_and_the_command_exits_1(org, monkeypatch):
    org.credentials_env_prefix = "SF_NOWHERE"
    org.auth_method = SalesforceOrg.AuthMethod.PASSWORD
    org.save()

    with pytest.raises(CommandError, match="Not ready to sync"):
        call_command("check_org", "--org", org.name, stdout=StringIO())
    assert "SF_NOWHERE_PASSWORD is not set" in check_org(org).summary()


def test_the_org_page_warns_when_its_credential_variables_are_missing(admin_client, org, monkeypatch):
    org.credentials_env_prefix, org.auth_method = "SF_ACME", SalesforceOrg.AuthMethod.PASSWORD
    org.save()
    monkeypatch.setenv("SF_ACME_PASSWORD", "secret")
    url = reverse("admin:connectors_salesforceorg_change", args=[org.pk])

    page = admin_client.get(url)

    [warning] = _messages(page)
    assert "SF_ACME_SECURITY_TOKEN" in warning and "SF_ACME_PASSWORD" not in warning
    monkeypatch.setenv("SF_ACME_SECURITY_TOKEN", "token")
    assert _messages(admin_client.get(url)) == []


def test_check_org_names_a_missing_composite_key_field(sf_org, org_schema):
    del org_schema["objects"]["OrderItem"]["fields"]["Composite_Key__c"]
    sf_org.emulator.control.load_schema(org_schema)

    result = check_org(sf_org)

    assert result.problems == ["OrderItem: missing field(s) Composite_Key__c"]
