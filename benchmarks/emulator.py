"""`bench emulator`: the emulated org must never be what a benchmark measures; this prints how fast it is."""

import time

SIZES = ("records",)  # options that must be positive


def add_arguments(parser) -> None:
    parser.add_argument("--records", type=int, default=5000, help="records written and queried back")


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
    figures = {
        "upsert_calls": calls,
        "upsert_seconds": upsert_seconds,
        "query_pages": pages,
        "query_seconds": query_seconds,
    }
    stdout.write(f"emulator: {calls} Collections upserts of up to 200 records in {upsert_seconds:.2f} s")
    stdout.write(f"emulator: {records}-row query in {pages} pages in {query_seconds:.2f} s")
    return figures
