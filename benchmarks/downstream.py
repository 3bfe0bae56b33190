"""`bench downstream --records N`: N changed rows read from the emulated org and applied in one poll, then five
polls of the quiet org (rows re-read and seconds per poll: they share one SystemModstamp per 1,000 rows), then the
write-back of the rows' SCIDs (the org created them without External_ID__c): its API calls and time, and the
downstream events when they are read back (0: no echo).

Runs in a throwaway database (support.isolated): a running installation is neither written nor locked.
"""

from __future__ import annotations

import time

from .support import bench_org, isolated

SIZES = ("records",)  # options that must be positive


def add_arguments(parser) -> None:
    parser.add_argument("--records", type=int, default=5000, help="changed rows in the org")


def run(options, stdout) -> dict:
    from emulators.salesforce import EmulatedOrg

    figures: dict = {}
    with EmulatedOrg() as emulator:
        with isolated():
            figures = _measure(emulator, options["records"])
    engine = figures["total_seconds"] - figures["http_seconds"]
    stdout.write(
        f"downstream: {figures['applied']} rows applied in {figures['total_seconds']:.2f} s, "
        f"{figures['api_calls']} API calls"
    )
    stdout.write(
        f"  emulated org and HTTP: {figures['http_seconds']:.2f} s; engine: {engine:.2f} s "
        f"({figures['applied'] / engine if engine else 0:.0f} rows/s of engine time)"
    )
    stdout.write(
        f"  quiet org afterwards: rows re-read per poll {figures['quiet_rows']}, "
        f"seconds per poll {', '.join(f'{s:.3f}' for s in figures['quiet_seconds'])}"
    )
    stdout.write(
        f"  SCID write-back: {figures['write_back_records']} records in {figures['write_back_api_calls']} API calls "
        f"(ceil(n/200) = {-(-figures['write_back_records'] // 200)}), {figures['write_back_seconds']:.2f} s; "
        f"downstream events when read back: {figures['write_back_echo_events']}"
    )
    return figures


def _measure(emulator, records: int) -> dict:
    from django.conf import settings

    from changeevents.downstream import poll_org
    from connectors.salesforce import client_for_org

    org = bench_org(emulator)
    for start in range(0, records, 1000):
        emulator.control.create_records(
            "Account", [{"Name": f"Row {n}"} for n in range(start, min(start + 1000, records))]
        )
    session = client_for_org(org).sf.session
    spent = [0.0]
    original = session.request

    def timed(*args, **kwargs):  # time spent waiting on the emulated org (and HTTP), not in the engine
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    session.request = timed
    calls = emulator.control.call_count()
    started = time.perf_counter()
    summary = poll_org(org.pk, sobjects=["Account"])
    total = time.perf_counter() - started
    figures = {
        "applied": summary.created + summary.updated,
        "api_calls": emulator.control.call_count() - calls,
        "total_seconds": total,
        "http_seconds": spent[0],
        "quiet_rows": [],
        "quiet_seconds": [],
    }
    time.sleep(settings.SCSYNC_DOWNSTREAM_OVERLAP_SECONDS + 0.1)  # as a 5 s poll interval would
    for _ in range(5):
        started = time.perf_counter()
        figures["quiet_rows"].append(poll_org(org.pk, sobjects=["Account"]).rows)
        figures["quiet_seconds"].append(time.perf_counter() - started)
    figures.update(_write_back(emulator, org))
    return figures


def _write_back(emulator, org) -> dict:
    """The rows were born in the org without External_ID__c: the dispatch that writes their SCIDs back, and the poll
    that reads them again (downstream events it records: 0 is no echo)."""
    from changeevents.downstream import poll_org
    from changeevents.models import ChangeEvent
    from changeevents.upstream import dispatch_org

    calls = emulator.control.call_count()
    started = time.perf_counter()
    summary = dispatch_org(org.pk)
    seconds = time.perf_counter() - started
    calls = emulator.control.call_count() - calls
    events = ChangeEvent.objects.downstream().count()
    poll_org(org.pk, sobjects=["Account"])
    return {
        "write_back_records": summary.synced,
        "write_back_api_calls": calls,
        "write_back_seconds": seconds,
        "write_back_echo_events": ChangeEvent.objects.downstream().count() - events,
    }
