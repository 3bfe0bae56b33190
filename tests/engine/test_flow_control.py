"""Flow control in one process: leased keys, one wake-up per org, fair shares, schedule guards, and publishing that
never makes a save wait. (tests/faults/ proves the same with real worker, Beat and broker processes.)"""

import logging
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from changeevents.models import ChangeEvent
from connectors.leases import Lease, LeaseLost, held_lock, release, take_once
from connectors.models import LeasedKey
from tests.factories import AccountFactory, SalesforceOrgFactory, point_celery_at, recorded_accounts

pytestmark = pytest.mark.django_db
DISPATCH = "changeevents.tasks.dispatch_upstream_task"


class _Broker:
    """Stands in for connectors.broker.send: records what would have been queued."""

    def __init__(self):
        self.sent = []

    def send(self, name, args=None, kwargs=None):
        self.sent.append((name, args))

    def dispatches(self):
        return [args[0] for name, args in self.sent if name == DISPATCH]


@pytest.fixture
def broker(monkeypatch):
    recorder = _Broker()
    monkeypatch.setattr("connectors.broker.send", recorder.send)
    return recorder


# --- leased keys -----------------------------------------------------------------------------------------------
def test_lease_is_exclusive_until_it_expires_then_another_owner_takes_it():
    first = Lease("upstream:1", seconds=30)
    assert first and not Lease("upstream:1", seconds=30)

    LeasedKey.objects.filter(key="upstream:1").update(expires_at=timezone.now() - timedelta(seconds=1))
    second = Lease("upstream:1", seconds=30)

    assert second
    with pytest.raises(LeaseLost):
        first.renew(force=True)
    assert LeasedKey.objects.get(key="upstream:1").owner == second.owner


def test_renew_extends_the_lease_and_release_frees_the_key():
    with held_lock("downstream:1:Account", seconds=30) as lease:
        LeasedKey.objects.filter(key=lease.key).update(expires_at=timezone.now() + timedelta(seconds=1))
        assert lease.renew(force=True)
        assert LeasedKey.objects.get(key=lease.key).expires_at > timezone.now() + timedelta(seconds=25)
    assert not LeasedKey.objects.filter(key="downstream:1:Account").exists()


def test_take_once_is_true_once_until_released_or_expired():
    assert take_once("wake:upstream:7", 60)
    assert not take_once("wake:upstream:7", 60)
    release("wake:upstream:7")
    assert take_once("wake:upstream:7", 60)
    LeasedKey.objects.filter(key="wake:upstream:7").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert take_once("wake:upstream:7", 60)


# --- one wake-up per org ---------------------------------------------------------------------------------------
def test_sweep_wakes_each_org_with_due_events_once_however_many_events(broker):
    from changeevents.wakeups import sweep

    busy, quiet, idle = SalesforceOrgFactory(), SalesforceOrgFactory(), SalesforceOrgFactory()
    recorded_accounts(busy, 3000)
    recorded_accounts(quiet, 3)
    broker.sent.clear()  # the recording's own wake-ups (none run here: no commit in this test's transaction)

    with CaptureQueriesContext(connection) as queries:
        assert sweep() == 2
    assert len(queries) == 3  # the due orgs (DISTINCT org_id, no per-event rows), then one marker per org
    assert sorted(broker.dispatches()) == sorted([busy.pk, quiet.pk])
    assert idle.pk not in broker.dispatches()
    assert sweep() == 0  # still queued: not queued again


def test_a_started_dispatch_clears_the_marker_so_later_changes_queue_one_more(broker):
    from changeevents.wakeups import sweep, wake_taken

    org = SalesforceOrgFactory()
    recorded_accounts(org, 5)
    sweep()
    wake_taken(org.pk)
    sweep()
    sweep()

    assert broker.dispatches() == [org.pk, org.pk]


def test_many_saves_in_many_transactions_queue_one_wake_up(broker, django_capture_on_commit_callbacks):
    org = SalesforceOrgFactory()
    for _ in range(20):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            AccountFactory(org=org)

    assert broker.dispatches() == [org.pk]


def test_a_marker_expires_so_a_lost_wake_up_is_sent_again(broker):
    from changeevents.wakeups import sweep

    org = SalesforceOrgFactory()
    recorded_accounts(org, 1)
    sweep()
    LeasedKey.objects.filter(key=f"wake:upstream:{org.pk}").update(expires_at=timezone.now() - timedelta(seconds=1))
    sweep()

    assert broker.dispatches() == [org.pk, org.pk]


# --- fair shares -----------------------------------------------------------------------------------------------
@override_settings(SCSYNC_DISPATCH_SHARE=4)
def test_a_dispatch_sends_its_share_then_queues_the_org_again(sf_org, broker):
    from changeevents.tasks import dispatch_upstream_task

    recorded_accounts(sf_org, 10)

    turns = [dispatch_upstream_task(sf_org.pk) for _ in range(3)]

    assert [t.split(",")[0] for t in turns] == ["claimed 4", "claimed 4", "claimed 2"]
    assert [t.endswith("share used, queued again") for t in turns] == [True, True, False]
    assert broker.dispatches() == [sf_org.pk, sf_org.pk]
    assert ChangeEvent.objects.filter(org=sf_org, status="synced").count() == 10


def test_a_run_that_lost_its_lease_mid_batch_stops_and_leaves_the_rest_to_the_new_holder(sf_org, monkeypatch):
    from changeevents import upstream

    recorded_accounts(sf_org, 3)
    lease = Lease(f"upstream:{sf_org.pk}", seconds=30)
    claim = upstream.claim_events

    def claim_then_stall(*args):
        claimed = claim(*args)
        # the run stalled past its lease after claiming: another run took the org over
        LeasedKey.objects.filter(key=lease.key).update(owner="another-run")
        lease._renewed -= 60
        return claimed

    monkeypatch.setattr(upstream, "claim_events", claim_then_stall)
    with pytest.raises(LeaseLost):
        upstream.dispatch_org(sf_org.pk, lease=lease)

    assert sf_org.emulator.control.records("Account") == []  # nothing sent after the lease was lost
    # not put back to pending over the new holder's claims: they come back when their lease runs out
    assert set(ChangeEvent.objects.filter(org=sf_org).values_list("status", flat=True)) == {"in_flight"}


def test_the_task_ends_a_lost_lease_with_one_warning(sf_org, monkeypatch, caplog):
    from changeevents import tasks

    def lose(org_id):
        raise LeaseLost(f"upstream:{org_id}")

    monkeypatch.setattr(tasks, "take_turn", lose)
    with caplog.at_level(logging.WARNING, logger="changeevents.tasks"):
        assert tasks.dispatch_upstream_task(sf_org.pk) == "stopped early"

    assert [r.getMessage() for r in caplog.records] == [f"upstream org {sf_org.pk}: lease lost to another run; stopped"]


# --- schedule guards -------------------------------------------------------------------------------------------
def test_a_second_beats_run_within_half_an_interval_is_a_no_op(sf_org):
    from changeevents.tasks import poll_downstream_task

    first = poll_downstream_task(sf_org.pk, "realtime", every=10)
    second = poll_downstream_task(sf_org.pk, "realtime", every=10)
    manual = poll_downstream_task(sf_org.pk, "realtime")  # "Sync now" carries no interval: it always runs

    assert first.startswith("0 rows") and manual.startswith("0 rows")
    assert second == "ran within half an interval"
    LeasedKey.objects.filter(key=f"schedule:downstream:{sf_org.pk}:realtime").update(expires_at=timezone.now())
    assert poll_downstream_task(sf_org.pk, "realtime", every=10).startswith("0 rows")


def test_a_second_beats_catalog_run_within_half_an_interval_is_a_no_op(store):
    from connectors.catalog.tasks import scheduled_connector_task
    from connectors.models import CatalogConnector

    connector = CatalogConnector.objects.create(store=store, name="c", shop_url="https://a", access_token_env="T")

    assert scheduled_connector_task(connector.pk, every=600) == "inactive"
    assert scheduled_connector_task(connector.pk, every=600) == "ran within half an interval"


def test_beat_rows_carry_their_interval(org):
    import json

    from django_celery_beat.models import PeriodicTask

    from changeevents.schedules import UPSTREAM_SWEEP, ensure_engine_schedules
    from connectors.models import CatalogConnector

    ensure_engine_schedules()
    sweep = PeriodicTask.objects.get(name=UPSTREAM_SWEEP)
    polls = PeriodicTask.objects.filter(name__endswith=f" org {org.pk}").order_by("name")

    assert json.loads(sweep.kwargs) == {"every": sweep.interval.every}
    assert [json.loads(p.kwargs)["every"] for p in polls] == [p.interval.every for p in polls]
    connector = CatalogConnector.objects.create(
        store=org.stores.first(), name="c", shop_url="https://a", access_token_env="T", interval_minutes=15
    )
    assert json.loads(PeriodicTask.objects.get(name=f"scsync: catalog connector {connector.pk}").kwargs) == {
        "every": 900
    }


# --- publishing never waits -----------------------------------------------------------------------------------
@pytest.fixture
def unreachable_broker(monkeypatch):
    """This process's Celery app pointed at a closed port: every connection is refused, for real."""
    point_celery_at(monkeypatch, "redis://127.0.0.1:1/0")


def test_saves_with_the_broker_down_neither_wait_nor_fail_and_warn_once(
    unreachable_broker, django_capture_on_commit_callbacks, caplog
):
    org = SalesforceOrgFactory()
    durations = []
    with caplog.at_level(logging.WARNING, logger="connectors.broker"):
        for _ in range(20):
            started = time.perf_counter()
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                AccountFactory(org=org)
            durations.append(time.perf_counter() - started)

    assert ChangeEvent.objects.filter(org=org, status="pending").count() == 20  # the outbox has them all
    assert max(durations) < 1.0  # behaviour, not speed: no retry loop (the fault test holds saves to 0.1 s)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and messages[0].startswith("broker unreachable"), messages
    assert not caplog.records[0].exc_info
    assert not LeasedKey.objects.filter(key=f"wake:upstream:{org.pk}").exists()  # the sweep may queue it


# --- queues ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "task, queue",
    [
        ("changeevents.tasks.dispatch_upstream_task", "upstream"),
        ("changeevents.tasks.sweep_upstream_task", "upstream"),
        ("changeevents.tasks.poll_downstream_task", "downstream"),
        ("storefront.tasks.import_media_task", "media"),
        ("connectors.catalog.tasks.run_connector_task", "catalog"),
        ("connectors.catalog.tasks.scheduled_connector_task", "catalog"),
        ("changeevents.tasks.prune_synced_events_task", "default"),
    ],
)
def test_each_kind_of_work_has_its_queue(task, queue):
    from celery import current_app

    route = current_app.amqp.router.route({}, task)

    assert route["queue"].name == queue
    # its own exchange and key: a direct exchange would copy the message to every queue sharing a key
    assert (route["queue"].exchange.name, route["queue"].routing_key) == (queue, queue)
    assert queue in {q.name for q in current_app.conf.task_queues}
