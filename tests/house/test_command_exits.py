"""Commands that did not do their job exit non-zero with a one-line reason."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from connectors.models import CatalogConnector
from storefront.models import Product
from syncerrors.models import SyncError
from tests.console.factories import failed_contact
from tests.factories import SalesforceOrgFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_resync_without_a_choice_asks_for_all(store):
    _, error = failed_contact(store)

    with pytest.raises(CommandError, match="--all"):
        call_command("resync", stdout=StringIO())

    error.refresh_from_db()
    assert error.resolved_at is None  # nothing was re-queued


def test_resync_all_requeues_every_unresolved_error(store):
    _, first = failed_contact(store)
    _, second = failed_contact(store, code="DUPLICATES_DETECTED")
    out = StringIO()

    call_command("resync", "--all", stdout=out)

    assert "2 error(s) re-queued." in out.getvalue()
    assert not SyncError.objects.unresolved().exists()


@pytest.mark.parametrize(
    "arguments, reason",
    [
        (["--status-code", "NOPE"], "No unresolved sync error matches --status-code NOPE"),
        (["--error-ids", "999"], "No unresolved sync error matches --error-ids 999"),
        (["--org", "No such org"], "No unresolved sync error matches --org No such org"),
    ],
)
def test_resync_that_matches_nothing_fails_naming_the_choice(store, arguments, reason):
    failed_contact(store)

    with pytest.raises(CommandError, match=reason):
        call_command("resync", *arguments, stdout=StringIO())

    assert SyncError.objects.unresolved().count() == 1


def test_resync_with_some_unknown_ids_requeues_the_others_and_fails_naming_them(store):
    _, error = failed_contact(store)
    out = StringIO()

    with pytest.raises(CommandError, match="No unresolved sync error has id 999"):
        call_command("resync", "--error-ids", f"{error.pk},999", stdout=out)

    assert "1 error(s) re-queued." in out.getvalue()
    assert not SyncError.objects.unresolved().exists()


@pytest.mark.parametrize("command", ["sync_up", "sync_down"])
def test_sync_commands_with_missing_credentials_name_the_variable(command, monkeypatch):
    monkeypatch.delenv("SF_GONE_INSTANCE_URL", raising=False)
    SalesforceOrgFactory(name="Gone", auth_method="session", credentials_env_prefix="SF_GONE")

    with pytest.raises(CommandError) as raised:
        call_command(command, "--org", "Gone", stdout=StringIO())

    assert str(raised.value) == (
        "Gone: SF_GONE_INSTANCE_URL is not set (needed by the Salesforce org using prefix SF_GONE)."
    )


def test_sync_up_reports_the_good_org_and_fails_naming_the_bad_one(sf_org, monkeypatch):
    monkeypatch.delenv("SF_GONE_INSTANCE_URL", raising=False)
    SalesforceOrgFactory(name="Gone", auth_method="session", credentials_env_prefix="SF_GONE")
    out = StringIO()

    with pytest.raises(CommandError, match="^Gone: SF_GONE_INSTANCE_URL is not set"):
        call_command("sync_up", stdout=out)

    assert out.getvalue().startswith(f"{sf_org.name}: claimed 0")


def test_sync_down_with_an_unknown_object_names_it(sf_org):
    with pytest.raises(CommandError, match="not synced objects: Widget"):
        call_command("sync_down", "--objects", "Account,Widget", stdout=StringIO())


def test_connector_sync_fails_with_the_runs_reason(store, monkeypatch):
    monkeypatch.delenv("SHOPIFY_MISSING_TOKEN", raising=False)
    CatalogConnector.objects.create(
        store=store,
        name="No token",
        shop_url="https://127.0.0.1:9",
        access_token_env="SHOPIFY_MISSING_TOKEN",
        active=True,
    )
    Product.objects.create(org=store.org, name="Lamp")
    out = StringIO()

    with pytest.raises(CommandError, match="The run of 'No token' failed: SHOPIFY_MISSING_TOKEN is not set"):
        call_command("connector_sync", "No token", stdout=out, stderr=StringIO())

    assert out.getvalue().startswith("Error: sent 0")


@pytest.mark.parametrize("size", ["0", "-5"])
def test_bench_refuses_a_size_that_is_not_positive(size):
    with pytest.raises(CommandError, match=f"--records must be a positive number \\(got {size}\\)"):
        call_command("bench", "upstream", "--records", size, stdout=StringIO())


def test_a_command_error_is_one_line_and_exit_1_from_the_command_line():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DJANGO_SETTINGS_MODULE"] = "scsync_site.settings_test"

    result = subprocess.run(
        [sys.executable, "manage.py", "bench", "bulk", "--records", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["CommandError: --records must be a positive number (got 0)."]


def test_listen_changes_names_an_unknown_org_and_an_org_with_change_data_capture_off():
    SalesforceOrgFactory(name="Polled", use_change_data_capture=False)

    with pytest.raises(CommandError, match="No Salesforce org is named 'Nope'"):
        call_command("listen_changes", "--org", "Nope", stdout=StringIO())
    with pytest.raises(CommandError, match="Org 'Polled' has 'Use Change Data Capture' off: switch it on first."):
        call_command("listen_changes", "--org", "Polled", stdout=StringIO())
