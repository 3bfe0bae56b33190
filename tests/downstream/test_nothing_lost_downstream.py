"""Nothing lost downstream (issue 13), against emulated orgs: SCIDs per org, rows and objects that fail alone,
late rows found by the reconciliation, quiet orgs that re-read nothing."""

import copy
import time
from io import StringIO

import pytest
from django.core.management import call_command

from changeevents.downstream import poll_org
from changeevents.models import ChangeEvent, SyncCursor
from emulators.salesforce.server import EmulatedOrg
from storefront.models import Account, Contact, PricebookEntry, ProductOption
from syncerrors.models import SyncError

pytestmark = pytest.mark.django_db


@pytest.fixture
def another_org(db, monkeypatch):
    """Start another emulated org (optionally with its own schema) and a SalesforceOrg row talking to it."""
    from connectors.salesforce import forget_clients
    from tests.factories import connected_org

    started = []

    def start(name: str, schema: dict | None = None):
        emulated = EmulatedOrg(schema=schema).start()
        started.append(emulated)
        return connected_org(monkeypatch, emulated, name, f"SF_OTHER{len(started)}")

    yield start
    for emulated in started:
        emulated.stop()
    forget_clients()


def test_two_orgs_sharing_an_external_id_both_apply_their_rows(sf_org, another_org):
    second = another_org("Second region")
    for org, name in ((sf_org, "North Co"), (second, "South Co")):
        org.emulator.control.create_records("Account", [{"Name": name, "External_ID__c": "LEGACY-1"}])

    poll_org(sf_org.pk)
    summary = poll_org(second.pk)

    assert summary.created == 1 and summary.failed == 0
    assert sorted(Account.objects.filter(scid="LEGACY-1").values_list("org__name", "name")) == [
        ("Emulated", "North Co"),
        ("Second region", "South Co"),
    ]


def test_a_row_that_breaks_a_constraint_fails_alone_and_the_rest_of_the_page_applies(sf_org, another_org):
    schema = copy.deepcopy(sf_org.emulator.org.schema)
    schema["objects"]["Account"]["fields"]["External_ID__c"]["unique"] = False  # an external id, not unique
    loose = another_org("Loose", schema=schema)
    control = loose.emulator.control
    control.create_records(
        "Account",
        [
            {"Name": "Good 1"},
            {"Name": "Twin A", "External_ID__c": "DUP-1"},
            {"Name": "Twin B", "External_ID__c": "DUP-1"},
        ]
        + [{"Name": "Good 2"}],
    )

    summary = poll_org(loose.pk, sobjects=["Account"])
    poll_org(loose.pk, sobjects=["Account"])  # the overlap re-reads the failed row: still one error

    names = set(Account.objects.filter(org=loose).values_list("name", flat=True))
    assert {"Good 1", "Good 2"} <= names and len(names) == 3
    error = SyncError.objects.get()
    assert summary.failed == 1 and error.status_code == "CANNOT_APPLY_DOWNSTREAM"
    assert error.payload["External_ID__c"] == "DUP-1" and error.payload["Name"] in ("Twin A", "Twin B")


def test_a_row_that_cannot_be_applied_is_one_error_however_often_it_is_read(sf_org):
    # an open picklist holds 255 characters in the org; the website's campaign type holds 40
    sf_org.emulator.control.create_records("Campaign", [{"Name": "Spring", "Type": "X" * 100}])

    for _ in range(3):
        poll_org(sf_org.pk)

    assert SyncError.objects.count() == 1
    assert ChangeEvent.objects.downstream().failed().count() == 1


def test_one_failing_object_in_the_group_the_others_apply_and_its_cursor_keeps_the_error(sf_org, another_org):
    schema = copy.deepcopy(sf_org.emulator.org.schema)
    del schema["objects"]["SBQQ__ProductOption__c"]  # an org without CPQ
    no_cpq = another_org("No CPQ", schema=schema)
    control = no_cpq.emulator.control
    (product,) = control.create_records("Product2", [{"Name": "Widget"}])
    (book,) = control.create_records("Pricebook2", [{"Name": "Standard"}])
    control.create_records("PricebookEntry", [{"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 5}])
    poll_org(no_cpq.pk, group="realtime")

    summary = poll_org(no_cpq.pk, group="ten_minutes")

    assert PricebookEntry.objects.filter(org=no_cpq).count() == 1
    assert not ProductOption.objects.filter(org=no_cpq).exists()
    assert summary.failed_objects == ["SBQQ__ProductOption__c"]
    failing = SyncCursor.objects.get(org=no_cpq, sobject="SBQQ__ProductOption__c")
    assert failing.last_error.startswith("INVALID_TYPE") and failing.last_error_at is not None
    assert SyncCursor.objects.get(org=no_cpq, sobject="PricebookEntry").last_error == ""


def test_a_row_committed_5_s_late_is_missed_by_the_fast_poll_and_applied_by_the_reconciliation(sf_org):
    control = sf_org.emulator.control
    control.create_records("Account", [{"Name": "On time"}])
    poll_org(sf_org.pk, sobjects=["Account"])
    control.create_records("Account", [{"Name": "Late"}], committed_late_by_seconds=5)

    poll_org(sf_org.pk, sobjects=["Account"])
    assert not Account.objects.filter(name="Late").exists()  # outside the fast poll's window
    out = StringIO()
    call_command("sync_down", "--org", sf_org.name, "--objects", "Account", "--reconcile", stdout=out)

    assert Account.objects.filter(name="Late", org=sf_org).exists()
    assert "created 1, updated 0, deleted 0, unchanged 1" in out.getvalue()  # "On time" skipped by hash
    cursor = SyncCursor.objects.get(org=sf_org, sobject="Account")
    assert cursor.last_reconciled_at is not None


def test_the_reconciliation_task_runs_once_per_interval(sf_org):
    from changeevents.tasks import reconcile_downstream_task

    sf_org.emulator.control.create_records("Account", [{"Name": "Found"}])

    first = reconcile_downstream_task(sf_org.pk, every=3600)
    second = reconcile_downstream_task(sf_org.pk, every=3600)

    assert "created 1" in first and second == "ran within half an interval"


def test_after_a_1000_row_bulk_job_a_quiet_org_re_reads_0_rows_per_poll(sf_org, settings):
    settings.SCSYNC_DOWNSTREAM_OVERLAP_SECONDS = 1
    sf_org.emulator.control.create_records("Account", [{"Name": f"Bulk {n}"} for n in range(1000)])
    first = poll_org(sf_org.pk, sobjects=["Account"])
    time.sleep(1.1)  # the overlap window closes: nothing can still be committing inside it

    rows = [poll_org(sf_org.pk, sobjects=["Account"]).rows for _ in range(5)]

    assert first.created == 1000
    assert rows[1:] == [0, 0, 0, 0]
    assert rows[0] <= 1000  # at most one settling re-read of the boundary


def test_a_cursors_error_is_shown_on_its_org_page_and_only_to_those_who_may_see_the_org(sf_org, admin_client, client):
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    from tests.factories import StoreFactory, UserFactory

    SyncCursor.objects.create(org=sf_org, sobject="SBQQ__ProductOption__c", last_error="INVALID_TYPE: no CPQ here")
    url = reverse("admin:connectors_salesforceorg_change", args=[sf_org.pk])
    other_staff = UserFactory(username="other-tenant")
    other_staff.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    StoreFactory().managers.add(other_staff)  # a store of another org
    client.force_login(other_staff)

    assert "INVALID_TYPE: no CPQ here" in admin_client.get(url).content.decode()
    response = client.get(url, follow=True)
    assert "INVALID_TYPE: no CPQ here" not in response.content.decode()


def test_a_sandbox_sharing_record_ids_does_not_settle_the_other_orgs_waiting_rows(sf_org, another_org):
    sandbox = another_org("Sandbox copy")  # its records get the same Ids as production's, as a sandbox copy's do
    for org in (sf_org, sandbox):
        (account,) = org.emulator.control.create_records("Account", [{"Name": f"{org.name} Co"}])
        org.emulator.control.create_records("Contact", [{"LastName": "Shared", "AccountId": account}])
    poll_org(sf_org.pk, sobjects=["Contact"])  # production's contact waits for its account
    waiting = ChangeEvent.objects.downstream().pending().get(org=sf_org)

    poll_org(sandbox.pk)  # the sandbox applies a contact with the same Id

    assert ChangeEvent.objects.get(pk=waiting.pk).status == "pending"
    assert waiting.salesforce_id in set(Contact.objects.filter(org=sandbox).values_list("salesforce_id", flat=True))
    poll_org(sf_org.pk, sobjects=["Account"])
    poll_org(sf_org.pk, sobjects=["Contact"])
    assert Contact.objects.get(org=sf_org).account.name == "Emulated Co"


def test_a_query_locator_the_org_released_is_read_again_not_an_object_failure(sf_org):
    """Salesforce keeps ten open query locators per user and releases the oldest when an eleventh opens. The first
    pages of every object come in one composite/batch call, so with many objects over 2,000 rows the first ones'
    locators are gone before the engine reads their second page. Here the integration user already holds nine
    elsewhere (one left), and two objects have a second page."""
    control = sf_org.emulator.control
    (account,) = control.create_records("Account", [{"Name": "Parent"}])
    control.create_records("Account", [{"Name": f"A{n}"} for n in range(2000)])
    control.create_records("Contact", [{"LastName": f"C{n}", "AccountId": account} for n in range(2001)])
    control.set_timings(open_query_locators=1)

    summary = poll_org(sf_org.pk, sobjects=["Account", "Contact"])

    assert summary.failed_objects == []
    assert (Account.objects.count(), Contact.objects.count()) == (2001, 2001)
    assert SyncCursor.objects.get(org=sf_org, sobject="Account").last_error == ""
