"""`bench latency [--rate 20] [--seconds 30] [--poll-seconds 5]`: how long a Salesforce change takes to reach the
website, with Change Data Capture and with polling only, and what a quiet org costs in API calls an hour each way.

A thread makes changes in the emulated org at a steady rate (each renames a record of its own); the latency of each
is from the org's commit (the change's call began) to the website's commit of the new value. With CDC the
subscription runs in this thread (OrgSubscription.listen_once, as the listener's threads run it); with polling
only, this thread polls every --poll-seconds as the 5 s Beat schedule does. The API calls an hour of a quiet org
are each schedule's reads an hour times the calls one read of the quiet org takes, measured here; the subscription
itself makes no API call (measured while the stream was idle).

Runs in a throwaway database (support.isolated): a running installation is neither written nor locked.
"""

from __future__ import annotations

import statistics
import threading
import time

from django.core.management.base import CommandError

from .support import bench_org, isolated

SIZES = ("rate", "seconds", "poll_seconds")  # options that must be positive


def add_arguments(parser) -> None:
    parser.add_argument("--rate", type=float, default=20, help="org changes a second")
    parser.add_argument("--seconds", type=float, default=30, help="how long each way makes changes")
    parser.add_argument("--poll-seconds", type=float, default=5, help="the polling-only interval")


def run(options, stdout) -> dict:
    from emulators.salesforce import EmulatedOrg

    with EmulatedOrg() as emulator:
        with isolated():
            figures = _measure(emulator, options["rate"], options["seconds"], options["poll_seconds"])
    cdc, polling = figures["cdc"], figures["polling"]
    for name, f in (("Change Data Capture", cdc), ("polling", polling)):
        if f["arrived"] < f["changes"]:
            raise CommandError(f"{name}: {f['arrived']} of {f['changes']} changes reached the website")
    stdout.write(f"latency: {options['rate']:g} changes/s for {options['seconds']:g} s each way")
    for name, f in (("Change Data Capture", cdc), (f"polling every {options['poll_seconds']:g} s", polling)):
        stdout.write(
            f"  {name}: {f['arrived']}/{f['changes']} arrived; p50 {f['p50']:.3f} s, p95 {f['p95']:.3f} s, "
            f"p99 {f['p99']:.3f} s, max {f['max']:.3f} s"
        )
    ratio = polling["p95"] / cdc["p95"] if cdc["p95"] else 0
    stdout.write(f"  p95 with polling is {ratio:.0f}x p95 with Change Data Capture")
    quiet = figures["quiet"]
    stdout.write(
        f"  quiet org, API calls an hour: {quiet['cdc_per_hour']} with Change Data Capture "
        f"({quiet['cdc_reads']} safety-net reads x {quiet['calls_per_full_read']} call, subscription idle "
        f"{quiet['idle_seconds']:.0f} s: {quiet['subscription_calls']} calls); {quiet['polling_per_hour']} polling "
        f"every {quiet['poll_interval']} s"
    )
    return figures


def _measure(emulator, rate: float, seconds: float, poll_seconds: float) -> dict:
    from changeevents.downstream import poll_org
    from storefront.models import Account

    org = bench_org(emulator)
    org.use_change_data_capture = True
    org.save(update_fields=["use_change_data_capture"])
    count = int(rate * seconds)  # each change renames a record of its own: each is measured
    ids = emulator.control.create_records("Account", [{"Name": f"Row {n}"} for n in range(count)])
    poll_org(org.pk, sobjects=["Account"])
    emulator.control.set_timings(pubsub_keepalive_seconds=0.2)  # the subscription's loop looks around this often

    def arrivals(sent: dict, seen: dict) -> None:
        waiting = {i: name for i, (name, _) in sent.items() if i not in seen}
        if waiting:
            now = time.time()
            for record_id, name in Account.objects.filter(salesforce_id__in=waiting).values_list(
                "salesforce_id", "name"
            ):
                if name == waiting[record_id]:
                    seen[record_id] = now - sent[record_id][1]

    figures = {"cdc": _with_cdc(emulator, org, ids, rate, seconds, arrivals)}
    figures["polling"] = _with_polling(emulator, org, ids, rate, seconds, poll_seconds, arrivals)
    figures["quiet"] = _quiet(emulator, org, poll_seconds)
    return figures


class _Changes(threading.Thread):
    """Renames records in the org at a steady rate; `sent` is record id -> (new name, when the call began)."""

    def __init__(self, emulator, ids, rate: float, seconds: float, tag: str):
        super().__init__(daemon=True)
        self.emulator, self.ids, self.rate, self.seconds, self.tag = emulator, ids, rate, seconds, tag
        self.sent: dict[str, tuple[str, float]] = {}
        self.finished = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        count = int(self.rate * self.seconds)
        for number in range(count):
            time.sleep(max(0.0, started + number / self.rate - time.monotonic()))
            record_id = self.ids[number]
            name = f"{self.tag} {number}"
            began = time.time()
            self.emulator.control.update_records("Account", {record_id: {"Name": name}})
            self.sent[record_id] = (name, began)
        self.finished.set()


def _with_cdc(emulator, org, ids, rate, seconds, arrivals) -> dict:
    from changeevents.cdc import OrgSubscription
    from changeevents.models import ChangeStream

    subscription = OrgSubscription(org.pk)
    # subscribed, with the stream's replay id stored: the changes come after this point
    subscription.listen_once(done=ChangeStream.objects.filter(org=org, replay_id__isnull=False).exists)
    changes = _Changes(emulator, ids, rate, seconds, "CDC")
    seen: dict[str, float] = {}
    latencies: list[float] = []

    def done() -> bool:
        before = set(seen)
        arrivals(changes.sent, seen)
        latencies.extend(seen[i] for i in set(seen) - before)
        return changes.finished.is_set() and len(seen) == len(changes.sent)

    guard = threading.Timer(seconds + 30, subscription.stop)
    guard.start()
    changes.start()
    subscription.listen_once(done=done)
    guard.cancel()
    return _percentiles(latencies, int(rate * seconds))


def _with_polling(emulator, org, ids, rate, seconds, poll_seconds, arrivals) -> dict:
    from changeevents.downstream import poll_org

    changes = _Changes(emulator, ids, rate, seconds, "Poll")
    seen: dict[str, float] = {}
    latencies: list[float] = []
    changes.start()
    started = time.monotonic()
    deadline = started + seconds + 3 * poll_seconds
    tick = 0
    while time.monotonic() < deadline and not (changes.finished.is_set() and len(seen) == len(changes.sent)):
        tick += 1
        time.sleep(max(0.0, started + tick * poll_seconds - time.monotonic()))  # Beat's fixed ticks
        poll_org(org.pk, sobjects=["Account"])
        before = set(seen)
        arrivals(changes.sent, seen)
        latencies.extend(seen[i] for i in set(seen) - before)
    return _percentiles(latencies, int(rate * seconds))


def _percentiles(latencies: list[float], changes: int) -> dict:
    ordered = sorted(latencies) or [0.0]
    samples = ordered * 2 if len(ordered) == 1 else ordered  # quantiles need two: one arrival is its own quantiles
    cut = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "changes": changes,
        "arrived": len(latencies),
        "p50": cut[49],
        "p95": cut[94],
        "p99": cut[98],
        "max": ordered[-1],
    }


def _quiet(emulator, org, poll_seconds: float) -> dict:
    """API calls an hour of a quiet org: each schedule's reads an hour times one read's calls, measured."""
    from django.conf import settings

    from changeevents.cdc import OrgSubscription
    from changeevents.downstream import poll_org
    from changeevents.registry import ScheduleGroup

    def calls(**options) -> int:
        before = emulator.control.call_count()
        poll_org(org.pk, **options)
        return emulator.control.call_count() - before

    full, realtime = calls(), calls(group=ScheduleGroup.REALTIME)
    ten_minutes, reconcile = calls(group=ScheduleGroup.TEN_MINUTES), calls(reconcile=True)
    before, idle = emulator.control.call_count(), 3.0
    subscription = OrgSubscription(org.pk)
    ends = time.monotonic() + idle
    subscription.listen_once(done=lambda: time.monotonic() > ends)
    subscription_calls = emulator.control.call_count() - before
    # with CDC healthy: one read of everything a SCSYNC_CDC_POLL_INTERVAL_SECONDS, the reconciliation among them
    cdc_reads = int(3600 // settings.SCSYNC_CDC_POLL_INTERVAL_SECONDS)
    reconciles = 3600 // settings.SCSYNC_RECONCILE_INTERVAL_SECONDS
    polling = int(3600 // poll_seconds) * realtime + 6 * ten_minutes + reconciles * reconcile
    return {
        "calls_per_full_read": full,
        "cdc_reads": cdc_reads,
        "cdc_per_hour": cdc_reads * max(full, reconcile) + subscription_calls * int(3600 / idle),
        "subscription_calls": subscription_calls,
        "idle_seconds": idle,
        "polling_per_hour": int(polling),
        "poll_interval": poll_seconds,
    }
