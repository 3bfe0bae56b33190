"""Bulk loads against the emulated org: validation, triggers off, Bulk API 2.0 upsert, failures, reloads."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from changeevents.models import ChangeEvent
from changeevents.upstream import dispatch_org
from storefront.bulk.service import bulk_load
from storefront.models import Contact, Product
from syncerrors.models import SyncError
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def write_contacts(path, count, account=None, bad_lines=()):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["legacy_id", "first_name", "last_name", "email", "account"])
        for n in range(count):
            line = n + 2
            last = "" if line in bad_lines else f"Load{n}"
            writer.writerow([f"LEGACY-{n}", "Bulk", last, f"c{n}@example.com", account.scid if account else ""])
    return path


def test_bulk_load_10000_contacts_no_events_triggers_back_on(sf_org, tmp_path):
    account = AccountFactory(org=sf_org)
    dispatch_org(sf_org.pk)  # the account is in Salesforce, so contacts can name it by external ID
    account.refresh_from_db()
    path = write_contacts(tmp_path / "contacts.csv", 10_000, account)
    events_before = ChangeEvent.objects.count()

    summary = bulk_load(path, "Contact", sf_org, scid_column="legacy_id")

    sf_org.refresh_from_db()
    assert (summary.read, summary.loaded, summary.sent, summary.failed) == (10_000, 10_000, 10_000, 0)
    assert Contact.objects.filter(org=sf_org).count() == 10_000
    assert ChangeEvent.objects.count() == events_before  # nothing recorded during the load
    assert sf_org.triggers_enabled is True
    in_org = sf_org.emulator.control.records("Contact")
    assert len(in_org) == 10_000
    assert {r["AccountId"] for r in in_org} == {account.salesforce_id}
    assert Contact.objects.get(scid="LEGACY-5").salesforce_id.startswith("003")


def test_bulk_load_three_bad_rows_reported_by_line_the_rest_load_and_the_command_exits_1(sf_org, tmp_path):
    path = write_contacts(tmp_path / "contacts.csv", 20, bad_lines=(3, 9, 15))
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="3 bad row"):
        call_command(
            "bulk_load", str(path), "--object", "Contact", "--scid-column", "legacy_id", stdout=out, stderr=err
        )

    assert [line.split(":")[0] for line in err.getvalue().splitlines()] == ["line 3", "line 9", "line 15"]
    assert "last_name is required" in err.getvalue()
    assert Contact.objects.count() == 17
    assert "read 20, bad 3, loaded 17, sent 17" in out.getvalue()


def test_bulk_load_allow_bad_rows_exits_0_after_the_same_report(sf_org, tmp_path):
    path = write_contacts(tmp_path / "contacts.csv", 5, bad_lines=(4,))
    out, err = StringIO(), StringIO()

    call_command(
        "bulk_load", str(path), "--object", "Contact", "--scid-column", "legacy_id", "--allow-bad-rows",
        stdout=out, stderr=err,
    )  # fmt: skip

    assert err.getvalue().startswith("line 4: last_name is required")
    assert "read 5, bad 1, loaded 4, sent 4" in out.getvalue()


def test_bulk_load_rows_failed_in_salesforce_make_the_command_exit_1(sf_org, tmp_path):
    sf_org.emulator.control.add_rule(
        {"type": "validation", "object": "Contact", "condition": "LastName = 'Load1'", "message": "No Load1"}
    )
    path = write_contacts(tmp_path / "contacts.csv", 3)
    out = StringIO()

    with pytest.raises(CommandError, match="1 row.s. failed in Salesforce"):
        call_command("bulk_load", str(path), "--object", "Contact", "--scid-column", "legacy_id", stdout=out)

    assert "loaded 3, sent 3, failed in Salesforce 1" in out.getvalue()
    assert SyncError.objects.get().scid == "LEGACY-1"


def test_bulk_load_file_without_ids_is_refused_unless_new_records(sf_org, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("first_name,last_name\nAda,Lovelace\nGrace,Hopper\n")

    with pytest.raises(CommandError, match="no 'scid' column.*--new-records"):
        call_command("bulk_load", str(path), "--object", "Contact", stdout=StringIO())
    assert not Contact.objects.exists()

    call_command("bulk_load", str(path), "--object", "Contact", "--new-records", stdout=StringIO())
    assert Contact.objects.count() == 2
    assert len(sf_org.emulator.control.records("Contact")) == 2


def test_bulk_load_a_row_with_an_empty_id_is_a_bad_row_unless_new_records(sf_org, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("legacy_id,last_name\nL-1,Lovelace\n,Hopper\n")

    summary = bulk_load(path, "Contact", sf_org, scid_column="legacy_id", send=False)

    assert summary.bad_rows == [(3, summary.bad_rows[0][1])] and "legacy_id is empty" in summary.bad_rows[0][1]
    assert list(Contact.objects.values_list("scid", flat=True)) == ["L-1"]


def test_bulk_load_help_lists_the_columns_of_each_object(capsys):
    from django.core.management import get_commands, load_command_class

    parser = load_command_class(get_commands()["bulk_load"], "bulk_load").create_parser("manage.py", "bulk_load")
    text = parser.format_help()

    assert "--new-records" in text and "--allow-bad-rows" in text
    assert "  Contact: first_name, last_name, email," in text
    assert "account" in text.split("  Contact:")[1].splitlines()[0]


def test_bulk_load_progress_counts_each_row_once_then_each_row_sent(sf_org, tmp_path):
    import contextlib

    path = write_contacts(tmp_path / "contacts.csv", 25, bad_lines=(5,))
    bars = []

    @contextlib.contextmanager
    def progress(label, total):
        bar = {"label": label, "total": total, "counted": 0}
        bars.append(bar)

        class Bar:
            def update(self, n=1):
                bar["counted"] += n

        yield Bar()

    bulk_load(path, "Contact", sf_org, scid_column="legacy_id", progress=progress)

    assert bars == [
        {"label": "check", "total": 25, "counted": 25},
        {"label": "send to Salesforce", "total": 24, "counted": 24},
    ]


def test_bulk_load_strict_loads_nothing_when_a_row_is_bad(sf_org, tmp_path):
    path = write_contacts(tmp_path / "contacts.csv", 5, bad_lines=(4,))

    with pytest.raises(CommandError, match="1 bad row"):
        call_command(
            "bulk_load",
            str(path),
            "--object",
            "Contact",
            "--strict",
            "--scid-column",
            "legacy_id",
            stdout=StringIO(),
            stderr=StringIO(),
        )

    assert not Contact.objects.exists()


def test_bulk_load_twice_leaves_the_org_record_count_unchanged(sf_org, tmp_path):
    path = write_contacts(tmp_path / "contacts.csv", 50)
    bulk_load(path, "Contact", sf_org, scid_column="legacy_id")

    second = bulk_load(path, "Contact", sf_org, scid_column="legacy_id")

    assert second.loaded == 50
    assert Contact.objects.count() == 50
    assert len(sf_org.emulator.control.records("Contact")) == 50


def test_bulk_load_exception_mid_load_still_turns_triggers_back_on(sf_org, tmp_path, monkeypatch):
    path = write_contacts(tmp_path / "contacts.csv", 10)

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("storefront.bulk.load.insert_rows", explode)
    with pytest.raises(KeyboardInterrupt):
        bulk_load(path, "Contact", sf_org, scid_column="legacy_id")

    sf_org.refresh_from_db()
    assert sf_org.triggers_enabled is True


def test_bulk_load_rows_salesforce_rejects_become_sync_errors(sf_org, tmp_path):
    sf_org.emulator.control.add_rule(
        {"type": "validation", "object": "Contact", "condition": "LastName = 'Load3'", "message": "No Load3"}
    )
    path = write_contacts(tmp_path / "contacts.csv", 6)

    summary = bulk_load(path, "Contact", sf_org, scid_column="legacy_id")

    error = SyncError.objects.get()
    assert summary.failed == 1
    assert (error.status_code, error.message, error.scid) == (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "No Load3",
        "LEGACY-3",
    )


def test_bulk_load_json_lines_dry_run_and_unknown_columns(sf_org, tmp_path):
    path = tmp_path / "products.jsonl"
    path.write_text(
        json.dumps({"name": "Lamp", "family": "Hardware", "stock_level": "5"})
        + "\n{not json}\n"
        + json.dumps({"name": "Desk", "stock_level": "many"})
        + "\n"
    )

    summary = bulk_load(path, "Product2", sf_org, dry_run=True, new_records=True)

    assert summary.read == 3 and [line for line, _ in summary.bad_rows] == [2, 3]
    assert "stock_level" in summary.bad_rows[1][1]
    assert not Product.objects.exists()
    (tmp_path / "bad.csv").write_text("name,colour\nLamp,red\n")
    with pytest.raises(ValueError, match="unknown column"):
        bulk_load(tmp_path / "bad.csv", "Product2", sf_org, new_records=True)


def test_bulk_load_from_salesforce_first_full_load(sf_org):
    sf_org.emulator.control.create_records(
        "Product2", [{"Name": f"Org product {n}", "Family": "Hardware"} for n in range(30)]
    )
    out = StringIO()

    call_command("bulk_load", "--from-salesforce", "--object", "Product2", "--org", sf_org.name, stdout=out)

    assert Product.objects.filter(org=sf_org).count() == 30
    assert "30 Product2 rows read from Emulated: created 30, updated 0, unchanged 0" in out.getvalue()
    sf_org.refresh_from_db()
    assert sf_org.triggers_enabled is True
