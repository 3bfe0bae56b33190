"""The broker flushed, stopped while saves go on, and flooded by a backlog: nothing lost, saves never wait on it,
and it holds messages in proportion to orgs, never to events.

Real processes: a private redis-server (flushed, stopped and restarted for real), prefork `celery worker` and
`celery beat` subprocesses, the standalone emulated org, PostgreSQL. The saves run in this test's process.
"""

import ast
import json
import logging
import time
from collections import Counter

import pytest
from django.db import transaction

from tests.processes import LEASE_SECONDS, SWEEP_SECONDS, wait_for

from .conftest import make_org

pytestmark = pytest.mark.faults
# a lost wake-up is sent again once its marker expires (two leases) by the next sweep; plus a worker's start
LOST_WAKE_BOUND = 2 * LEASE_SECONDS + SWEEP_SECONDS + 20


def _save_account(org, n: int) -> float:
    """One website save (autocommit: the after-commit wake-up runs inside it); returns how long it took."""
    from storefront.models import Account

    started = time.perf_counter()
    Account.objects.create(org=org, name=f"Broker {n}")
    return time.perf_counter() - started


def _open_events() -> int:
    from changeevents.models import ChangeEvent

    return ChangeEvent.objects.upstream().exclude(status="synced").count()


def _all_in_org(site) -> None:
    """Every change synced, each account exactly once in the emulated org (all orgs of the test write there)."""
    from storefront.models import Account

    wait_for(lambda: _open_events() == 0, LOST_WAKE_BOUND, "every event to be synced", every=0.5)
    in_org = Counter(r["External_ID__c"] for r in site.org.records("Account"))
    assert set(in_org) == set(Account.objects.values_list("scid", flat=True))
    assert max(in_org.values()) == 1


def test_broker_flushed_loses_nothing(installation, faults_org, report):
    site, org = installation, faults_org
    for n in range(300):
        _save_account(org, n)
    assert site.redis.queue_lengths()["upstream"] == 1  # 300 saves, one org: one wake-up

    site.redis.flush()  # the wake-up is gone; its marker still says "queued" until it expires
    flushed_at = time.monotonic()
    site.beat()
    site.worker()
    _all_in_org(site)

    report(f"\nbroker flushed with 300 changes waiting: all synced {time.monotonic() - flushed_at:.1f} s later")
    assert site.errors() == []


def test_broker_stopped_while_saves_go_on_blocks_no_save_and_loses_nothing(installation, faults_org, caplog, report):
    site, org = installation, faults_org
    site.beat()
    site.worker()
    durations: dict[str, list[float]] = {"before": [], "down": [], "after": []}

    with caplog.at_level(logging.WARNING, logger="connectors.broker"):
        durations["before"] = [_save_account(org, n) for n in range(50)]
        site.redis.stop()
        durations["down"] = [_save_account(org, n) for n in range(50, 250)]
        site.redis.start()
        time.sleep(6)  # past SCSYNC_BROKER_RETRY_SECONDS: saves try the broker again
        durations["after"] = [_save_account(org, n) for n in range(250, 300)]
    _all_in_org(site)

    slowest = {phase: max(values) for phase, values in durations.items()}
    report("\nslowest save: " + ", ".join(f"{phase} {seconds * 1000:.1f} ms" for phase, seconds in slowest.items()))
    assert slowest["down"] < 0.1
    warnings = [r.getMessage() for r in caplog.records]
    assert len([w for w in warnings if w.startswith("broker unreachable")]) == 1, warnings
    assert len([w for w in warnings if w.startswith("broker reachable again")]) == 1, warnings
    assert not any(r.exc_info for r in caplog.records)


def _wake_ups_per_org(site) -> Counter:
    """Queued dispatch messages per org id, read from the upstream queue itself."""
    headers = [json.loads(m)["headers"] for m in site.redis.client().lrange("upstream", 0, -1)]
    return Counter(
        ast.literal_eval(h["argsrepr"])[0] for h in headers if h["task"] == "changeevents.tasks.dispatch_upstream_task"
    )


def test_backlog_of_5000_due_events_keeps_the_queue_under_ten_messages_per_org(installation, report):
    from storefront.models import Account

    site = installation
    orgs = [make_org(f"Backlog {n}", polls=False) for n in range(3)]
    site.beat()  # sweeping every 2 s, and no worker: nothing drains the queue
    for batch in range(500):  # 5,000 changes in 500 transactions of 10
        with transaction.atomic():
            for n in range(10):
                Account.objects.create(org=orgs[(batch + n) % 3], name=f"Backlog {batch}-{n}")
    peak: Counter = Counter()
    deadline = time.monotonic() + 2 * LEASE_SECONDS + 2 * SWEEP_SECONDS  # past a marker's expiry: re-sent once
    while time.monotonic() < deadline:
        peak |= _wake_ups_per_org(site)
        time.sleep(0.5)

    report(f"\n5,000 due events of 3 orgs, no worker, Beat sweeping: most messages queued per org {dict(peak)}")
    assert set(peak) == {o.pk for o in orgs}
    assert max(peak.values()) < 10
    site.worker()
    _all_in_org(site)
