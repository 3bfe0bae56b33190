"""`bench upstream --records N`: the dispatcher against the naive way, on the same emulated org in one run.

Runs in a throwaway database (support.isolated): a running installation is neither written nor locked.
"""

from __future__ import annotations

import math
import time

from .support import bench_org, isolated

SIZES = ("records",)  # options that must be positive


def add_arguments(parser) -> None:
    parser.add_argument("--records", type=int, default=5000, help="records to push (half accounts, half contacts)")
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=10,
        help="added to every API call, both ways (a real org answers in 50-300 ms; loopback in ~1 ms)",
    )


def run(options, stdout) -> dict:
    from emulators.salesforce import EmulatedOrg

    records = options["records"]
    with EmulatedOrg() as emulator:
        figures: dict = {}
        with isolated():
            if options["latency_ms"]:
                emulator.control.inject_fault({"type": "latency", "ms": options["latency_ms"]})
            figures = _measure(emulator, records)
            figures["latency_ms"] = options["latency_ms"]
    _print(stdout, figures)
    return figures


def _measure(emulator, records: int) -> dict:
    from changeevents.registry import registry
    from changeevents.upstream import dispatch_org

    # the website's models come from the registry: changeevents never imports storefront
    Account, Contact = registry.for_sobject("Account").model, registry.for_sobject("Contact").model

    org = bench_org(emulator)
    accounts, contacts = records // 2, records - records // 2
    for n in range(accounts):
        account = Account.objects.create(org=org, name=f"Bench account {n}")
        if n < contacts:
            Contact.objects.create(org=org, account=account, last_name=f"Bench {n}", email=f"b{n}@example.com")
    calls_before = emulator.control.call_count()
    started = time.perf_counter()
    summary = dispatch_org(org.pk)
    engine_seconds = time.perf_counter() - started
    engine_calls = emulator.control.call_count() - calls_before

    naive = emulator.client()
    calls_before = emulator.control.call_count()
    started = time.perf_counter()
    for n in range(records):
        naive.Account.create({"Name": f"Naive {n}", "External_ID__c": f"NAIVE-{n}"})
    naive_seconds = time.perf_counter() - started
    naive_calls = emulator.control.call_count() - calls_before
    return {
        "records": records,
        "synced": summary.synced,
        "engine_seconds": engine_seconds,
        "engine_rate": summary.synced / engine_seconds if engine_seconds else 0.0,
        "engine_calls": engine_calls,
        "minimum_calls": math.ceil(accounts / 200) + math.ceil(contacts / 200),
        "naive_seconds": naive_seconds,
        "naive_rate": records / naive_seconds if naive_seconds else 0.0,
        "naive_calls": naive_calls,
    }


def _print(stdout, f: dict) -> None:
    stdout.write(
        f"upstream: {f['synced']} of {f['records']} records synced in {f['engine_seconds']:.2f} s "
        f"({f['latency_ms']} ms added to every API call)"
    )
    stdout.write(
        f"  engine: {f['engine_rate']:.0f} records/s, {f['engine_calls']} API calls (minimum {f['minimum_calls']})"
    )
    stdout.write(f"  naive:  {f['naive_rate']:.0f} records/s, {f['naive_calls']} API calls (one create per record)")
    speedup = f["engine_rate"] / f["naive_rate"] if f["naive_rate"] else float("inf")
    stdout.write(f"  speed-up: {speedup:.1f}x")
