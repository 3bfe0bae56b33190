"""Flow control with real processes: a second Beat doubles no schedule, and one org's backlog does not starve the
others. Real `celery beat` and prefork `celery worker` subprocesses, a private redis-server, the standalone
emulated org, PostgreSQL; the website's saves run in this test's process."""

import math
import os
import statistics
import time

import pytest

from tests.factories import recorded_accounts
from tests.processes import wait_for

from .conftest import make_org

pytestmark = pytest.mark.faults
SAVES, SAVES_PER_SECOND = 40, 2


def test_two_beats_for_60_seconds_poll_each_org_at_most_once_per_interval(installation, report):
    from changeevents.downstream import mappings_for

    site = installation
    interval, window = 2, 60
    orgs = [make_org(f"Two beats {n}", poll_interval_seconds=interval) for n in range(2)]
    # an empty org answers a real-time poll with one composite/batch call per 25 objects
    calls_per_poll = math.ceil(len(mappings_for("realtime")) / 25)
    site.worker()
    site.beat()
    site.beat()
    time.sleep(10)  # both Beats running; the first runs of every schedule (ten-minute ones too) are behind us

    calls_before = site.org.control("call_count")
    time.sleep(window)
    polls = (site.org.control("call_count") - calls_before) / calls_per_poll
    per_interval = polls / (len(orgs) * window / interval)

    report(
        f"\ntwo Beats, {window} s, {len(orgs)} orgs polled every {interval} s: {per_interval:.2f} polls per interval"
    )
    assert 0.8 <= per_interval <= 1.05
    assert site.errors() == []


def _latency_p95(orgs) -> tuple[float, int]:
    from changeevents.models import ChangeEvent

    events = ChangeEvent.objects.upstream().filter(org__in=orgs, status="synced")
    latencies = sorted((e.processed_at - e.created_at).total_seconds() for e in events)
    return statistics.quantiles(latencies, n=20)[-1], len(latencies)


def test_one_orgs_backlog_of_20000_does_not_hold_back_nine_others(installation, report):
    from changeevents.models import ChangeEvent
    from storefront.models import Account

    site = installation
    big, *others = [make_org(f"Fair {n}", polls=False) for n in range(10)]
    # a real org answers in 50-300 ms: 150 ms per Collections call makes the backlog last long enough to matter
    site.org.control("inject_fault", fault={"type": "latency", "ms": 150, "path": "composite/sobjects"})
    recorded_accounts(big, 20000, "Backlog")
    site.beat()
    # one slot: without a fair share the backlog would hold it to the end (FAULTS_SHARE=100000 shows it: p95 ~20 s)
    share = {"SCSYNC_DISPATCH_SHARE": os.environ["FAULTS_SHARE"]} if "FAULTS_SHARE" in os.environ else {}
    site.worker(concurrency=1, **share)
    wait_for(lambda: ChangeEvent.objects.filter(org=big, status="synced").exists(), 60, "the backlog to start")

    for n in range(SAVES):  # the other orgs' website saves while the backlog drains
        Account.objects.create(org=others[n % len(others)], name=f"Meanwhile {n}")
        time.sleep(1 / SAVES_PER_SECOND)
    backlog_left = ChangeEvent.objects.filter(org=big).exclude(status="synced").count()
    others_done = lambda: not ChangeEvent.objects.filter(org__in=others).exclude(status="synced").exists()  # noqa: E731
    wait_for(others_done, 60, "the other orgs' changes to be synced")
    p95, count = _latency_p95(others)

    report(
        f"\n10 orgs, one with 20,000 due events: the other 9 orgs' {count} changes reached the org with "
        f"p95 {p95:.2f} s; {backlog_left} of the backlog still waiting when they were made"
    )
    assert backlog_left > 0  # the backlog really was in the way the whole time
    assert count == SAVES
    assert p95 < 2.0
