"""Bulk API 2.0 jobs and query locators as Salesforce runs them: in the background, through UploadComplete,
InProgress and JobComplete, and not forever. Through the unmodified simple-salesforce over HTTPS (its bulk2 client,
or its session for the raw job calls a client polls with)."""

import csv
import io
import threading
import time

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound


@pytest.fixture
def sf(emulated_org):
    return emulated_org.client()


def _jobs(sf, path="", method="GET", **kwargs):
    return sf.restful(f"jobs/ingest/{path}".rstrip("/"), method=method, **kwargs)


def _upload(sf, job_id: str, text: str) -> None:
    response = sf.session.put(
        f"{sf.base_url}jobs/ingest/{job_id}/batches",
        data=text.encode(),
        headers={**sf.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text


def _open_insert(sf, rows: int) -> str:
    job = _jobs(sf, method="POST", json={"object": "Account", "operation": "insert", "lineEnding": "LF"})
    _upload(sf, job["id"], "Name\n" + "".join(f"Bulk {n}\n" for n in range(rows)))
    return job["id"]


def test_bulk_an_ingest_job_moves_through_its_states_in_the_background(sf, emulated_org):
    emulated_org.control.set_timings(bulk_in_progress_seconds=1.0)
    job_id = _open_insert(sf, 10)

    closed = _jobs(sf, job_id, method="PATCH", json={"state": "UploadComplete"})
    seen = {closed["state"]}
    while "JobComplete" not in seen:
        seen.add(_jobs(sf, job_id)["state"])
        time.sleep(0.05)

    assert closed["state"] == "UploadComplete"
    assert {"InProgress", "JobComplete"} <= seen
    assert _jobs(sf, job_id)["numberRecordsProcessed"] == 10
    assert len(emulated_org.control.records("Account")) == 10


def test_bulk_a_large_ingest_does_not_hold_up_rest_calls(sf, emulated_org):
    emulated_org.control.set_timings(bulk_in_progress_seconds=0)
    job_id = _open_insert(sf, 30_000)
    _jobs(sf, job_id, method="PATCH", json={"state": "UploadComplete"})

    answered = sf.query("SELECT COUNT() FROM Account")  # while the job runs
    state_after_query = _jobs(sf, job_id)["state"]
    while _jobs(sf, job_id)["state"] != "JobComplete":
        time.sleep(0.1)

    assert state_after_query in ("UploadComplete", "InProgress")
    assert answered["totalSize"] < 30_000
    assert len(emulated_org.control.records("Account")) == 30_000


def test_bulk_query_job_names_its_object_and_uses_its_column_delimiter(sf, emulated_org):
    emulated_org.control.create_records("Account", [{"Name": "Pipe | Co"}, {"Name": "Plain"}])

    job = sf.restful(
        "jobs/query",
        method="POST",
        json={"operation": "query", "query": "select Id, Name from account", "columnDelimiter": "PIPE"},
    )
    pages = list(sf.bulk2.Account.query("SELECT Name FROM Account ORDER BY Name", column_delimiter="PIPE", wait=0.1))
    rows = list(csv.reader(io.StringIO(pages[0]), delimiter="|"))

    assert job["object"] == "Account" and job["columnDelimiter"] == "PIPE"
    assert rows == [["Name"], ["Pipe | Co"], ["Plain"]]


def test_bulk_an_ingest_reads_its_column_delimiter_and_line_ending(sf, emulated_org):
    results = sf.bulk2.Contact.insert(
        records=[{"LastName": "Tab, Comma", "FirstName": "Ann"}], column_delimiter="TAB", line_ending="CRLF", wait=0.1
    )

    assert results[0]["numberRecordsFailed"] == 0
    assert [(c["FirstName"], c["LastName"]) for c in emulated_org.control.records("Contact")] == [("Ann", "Tab, Comma")]


def test_bulk_jobs_expire(sf, emulated_org):
    job_id = _open_insert(sf, 1)
    emulated_org.control.set_timings(bulk_job_seconds=0.2)
    time.sleep(0.3)

    with pytest.raises(SalesforceResourceNotFound):
        _jobs(sf, job_id)
    assert emulated_org.org.bulk.jobs == {}


def test_query_locators_expire_when_idle(sf, emulated_org):
    emulated_org.control.create_records("Account", [{"Name": f"A{n}"} for n in range(450)])
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    first = sf.query("SELECT Id FROM Account")
    emulated_org.control.set_timings(query_locator_seconds=0.2)
    time.sleep(0.3)

    with pytest.raises(SalesforceMalformedRequest) as expired:
        sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)

    assert expired.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_query_locators_beyond_ten_release_the_oldest_and_memory_stays_bounded(sf, emulated_org):
    emulated_org.control.create_records("Account", [{"Name": f"A{n}"} for n in range(450)])
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    pages = [sf.query("SELECT Id, Name FROM Account") for _ in range(100)]  # never drained

    with pytest.raises(SalesforceMalformedRequest) as released:
        sf.query_more(pages[0]["nextRecordsUrl"], identifier_is_url=True)
    newest = sf.query_more(pages[-1]["nextRecordsUrl"], identifier_is_url=True)

    assert released.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    assert len(newest["records"]) == 200
    assert emulated_org.control.open_query_locators() <= 10


def test_bulk_jobs_on_two_threads_both_complete(sf, emulated_org):
    emulated_org.control.set_timings(bulk_in_progress_seconds=0.2)
    errors = []

    def insert(prefix):
        try:
            emulated_org.client().bulk2.Lead.insert(
                records=[{"LastName": f"{prefix}{n}", "Company": "Co"} for n in range(500)], wait=0.1
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=insert, args=(p,)) for p in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(emulated_org.control.records("Lead")) == 1000
