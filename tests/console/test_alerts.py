"""Alerts of new sync errors: one e-mail per org and status code per hour, with the count and a link; an optional
webhook, validated like the shop URL. Errors are recorded the way the engine records them (record_sync_errors)."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from changeevents.failures import EventFailure
from changeevents.models import ChangeEvent
from connectors.leases import release
from connectors.models import SalesforceOrg
from connectors.validators import validate_webhook_url
from storefront.models import Account
from syncerrors.recording import record_sync_errors
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def fail(org, code="FIELD_CUSTOM_VALIDATION_EXCEPTION"):
    account = Account.objects.create(org=org, name="Rejected")
    event = ChangeEvent.objects.get(model_label="storefront.account", object_pk=account.pk)
    return record_sync_errors([EventFailure(event=event, status_code=code, message="Rejected by a rule")])


@pytest.fixture
def org(db):
    org = StoreFactory().org
    SalesforceOrg.objects.filter(pk=org.pk).update(alert_emails="ops@example.com, owner@example.com")
    yield SalesforceOrg.objects.get(pk=org.pk)


def test_a_new_error_mails_the_orgs_alert_addresses_once_per_code_per_hour(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fail(org)
    with django_capture_on_commit_callbacks(execute=True):
        fail(org)  # the same code within the hour: no second mail
        fail(org)
    with django_capture_on_commit_callbacks(execute=True):
        fail(org, code="REQUIRED_FIELD_MISSING")  # another code: its own mail

    assert [m.subject for m in mail.outbox] == [
        f"[SCSync] {org.name}: 1 new FIELD_CUSTOM_VALIDATION_EXCEPTION sync error",
        f"[SCSync] {org.name}: 1 new REQUIRED_FIELD_MISSING sync error",
    ]
    assert mail.outbox[0].to == ["ops@example.com", "owner@example.com"]
    assert f"?org={org.pk}&status_code=FIELD_CUSTOM_VALIDATION_EXCEPTION" in mail.outbox[0].body

    release(f"alert:{org.pk}:FIELD_CUSTOM_VALIDATION_EXCEPTION")  # the hour is over
    with django_capture_on_commit_callbacks(execute=True):
        fail(org)

    assert mail.outbox[-1].subject == f"[SCSync] {org.name}: 4 new FIELD_CUSTOM_VALIDATION_EXCEPTION sync errors"


def test_no_alert_for_an_org_without_addresses_or_before_commit(org, django_capture_on_commit_callbacks):
    other = StoreFactory().org
    with django_capture_on_commit_callbacks(execute=False):
        fail(org)  # rolled back: never committed, never alerted
    with django_capture_on_commit_callbacks(execute=True):
        fail(other)

    assert mail.outbox == []


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # not https
        "https://user:pw@hooks.example.com/x",  # credentials in the URL
        "https://10.0.0.5/hook",  # a private address
        "https://169.254.169.254/latest/meta-data",  # the cloud metadata address
        "not a url",
    ],
)
def test_webhook_url_is_validated_like_the_shop_url(url, settings):
    settings.SCSYNC_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError, match="is not a"):
        validate_webhook_url(url)


def test_webhook_url_accepts_a_public_https_url():
    validate_webhook_url("https://hooks.slack.com/services/T000/B000/XXXX")


def test_alert_addresses_are_validated(org):
    org.alert_emails = "ops@example.com, not-an-address"
    with pytest.raises(ValidationError, match="not-an-address"):
        org.full_clean()
