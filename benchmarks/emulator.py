"""`bench emulator`: the emulated org must never be what a benchmark measures; this prints how fast it is."""

import time

SIZES = ("records", "ingest_rows")  # options that must be positive


def add_arguments(parser) -> None:
    parser.add_argument("--records", type=int, default=5000, help="records written and queried back")
    parser.add_argument(
        "--ingest-rows", type=int, default=100_000, help="rows of the Bulk ingest REST calls are timed against"
    )


def run(options, stdout) -> dict:
    from emulators.salesforce import EmulatedOrg

    records = options["records"]
    with EmulatedOrg() as org:
        sf = org.client()
        started = time.perf_counter()
        for start in range(0, records, 200):
            body = [
                {"attributes": {"type": "Account"}, "External_ID__c": f"E{n}", "Name": f"Account {n}"}
                for n in range(start, min(start + 200, records))
            ]
            sf.restful("composite/sobjects/Account/External_ID__c", method="PATCH", json={"records": body})
        upsert_seconds = time.perf_counter() - started
        calls = org.control.call_count()
        started = time.perf_counter()
        page, pages = sf.query("SELECT Id, Name, SystemModstamp FROM Account ORDER BY SystemModstamp, Id"), 1
        while not page["done"]:
            page, pages = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True), pages + 1
        query_seconds = time.perf_counter() - started
        ingest = _rest_during_ingest(org, sf, options["ingest_rows"])
    figures = {
        "upsert_calls": calls,
        "upsert_seconds": upsert_seconds,
        "query_pages": pages,
        "query_seconds": query_seconds,
    } | ingest
    stdout.write(f"emulator: {calls} Collections upserts of up to 200 records in {upsert_seconds:.2f} s")
    stdout.write(f"emulator: {records}-row query in {pages} pages in {query_seconds:.2f} s")
    stdout.write(
        f"emulator: {ingest['ingest_rows']}-row Bulk ingest in {ingest['ingest_seconds']:.2f} s; "
        f"{ingest['queries_during_ingest']} REST queries meanwhile, slowest {ingest['slowest_query_seconds']:.3f} s"
    )
    return figures


def _rest_during_ingest(org, sf, rows: int) -> dict:
    """A Bulk ingest of `rows` Leads, and how long REST queries take while it runs (they must not wait for it)."""
    headers = {**sf.headers, "Content-Type": "text/csv"}
    job = sf.restful("jobs/ingest", method="POST", json={"object": "Lead", "operation": "insert"})
    csv_text = "LastName,Company\n" + "".join(f"Lead {n},Bench Co\n" for n in range(rows))
    sf.session.put(f"{sf.base_url}jobs/ingest/{job['id']}/batches", data=csv_text.encode(), headers=headers)
    started = time.perf_counter()
    sf.restful(f"jobs/ingest/{job['id']}", method="PATCH", json={"state": "UploadComplete"})
    slowest, queries = 0.0, 0
    while sf.restful(f"jobs/ingest/{job['id']}")["state"] not in ("JobComplete", "Failed", "Aborted"):
        asked = time.perf_counter()
        sf.query("SELECT Id, Name FROM Account LIMIT 10")
        slowest, queries = max(slowest, time.perf_counter() - asked), queries + 1
    return {
        "ingest_rows": rows,
        "ingest_seconds": time.perf_counter() - started,
        "queries_during_ingest": queries,
        "slowest_query_seconds": slowest,
    }
