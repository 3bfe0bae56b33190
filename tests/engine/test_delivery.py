"""Delivery through real Celery workers and concurrent dispatchers, against the emulated org."""

import threading

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from changeevents.models import ChangeEvent
from changeevents.tasks import sweep_upstream_task
from changeevents.upstream import dispatch_org
from scsync_site.celery import app as celery_app
from storefront.models import Account
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(predicate, timeout=20.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_delivery_after_commit_by_a_real_worker(sf_org):
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # when: a change commits (on_commit queues the org's dispatch task to the broker)
        account = AccountFactory(org=sf_org)

        # then: the worker sends it
        event = ChangeEvent.objects.get(model_label="storefront.account")
        assert wait_until(lambda: ChangeEvent.objects.get(pk=event.pk).status == "synced")
    assert account.scid in {r["External_ID__c"] for r in sf_org.emulator.control.records("Account")}


def test_delivery_sweep_picks_up_what_a_lost_message_left(sf_org):
    # given: events in the outbox whose wake-up message never reached a worker (bulk_create sends none)
    created = Account.objects.bulk_create(AccountFactory.build_batch(3, org=sf_org))
    ChangeEvent.objects.bulk_create(
        [
            ChangeEvent(
                org=sf_org,
                sobject="Account",
                model_label="storefront.account",
                object_pk=a.pk,
                event_type="create",
                scid=a.scid,
            )
            for a in created
        ]
    )

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # when: Beat's sweep runs
        sweep_upstream_task.delay()

        # then
        assert wait_until(lambda: not ChangeEvent.objects.exclude(status="synced").exists())
    assert {a.scid for a in created} <= {r["External_ID__c"] for r in sf_org.emulator.control.records("Account")}


def test_delivery_two_dispatchers_at_once_send_each_event_once(sf_org):
    AccountFactory.create_batch(400, org=sf_org)
    calls_before = sf_org.emulator.control.call_count()
    summaries = []

    def run():
        try:
            summaries.append(dispatch_org(sf_org.pk, batch_size=100))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    scids = [r["External_ID__c"] for r in sf_org.emulator.control.records("Account")]
    assert len(scids) == len(set(scids)) == 400
    assert sum(s.synced for s in summaries) == 400
    assert sf_org.emulator.control.call_count() - calls_before == 4  # 400 records, 100 per claim, once each
    assert ChangeEvent.objects.filter(status="synced").count() == 400
