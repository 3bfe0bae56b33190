"""A worker killed, or its database connections terminated, in the middle of a batch: the org recovers within two
leases plus one sweep interval, with nothing duplicated in the org and nothing marked synced that was not written.

Real processes: prefork `celery worker` and `celery beat` subprocesses, a private redis-server, the standalone
emulated org (with latency injected so the fault lands mid-batch) and the test run's PostgreSQL database.
"""

import time
from collections import Counter

import pytest
from django.db import connection

from tests.factories import recorded_accounts
from tests.processes import LEASE_SECONDS, SWEEP_SECONDS, wait_for

pytestmark = pytest.mark.faults
RECORDS = 2000
RECOVERY_BOUND = 2 * LEASE_SECONDS + SWEEP_SECONDS
# what the bound does not cover: a worker's start and the sending of what is left (generous, as fault bounds are)
ALLOWANCE = 20


def _synced(org) -> int:
    from changeevents.models import ChangeEvent

    return ChangeEvent.objects.upstream().filter(org=org, status="synced").count()


def _assert_org_holds_exactly_what_is_synced(site, org) -> None:
    from changeevents.models import ChangeEvent
    from storefront.models import Account

    in_org = site.org.records("Account")
    external_ids = Counter(r["External_ID__c"] for r in in_org)
    assert [key for key, n in external_ids.items() if n > 1] == []  # 0 duplicate External_ID__c
    assert set(external_ids) == set(Account.objects.filter(org=org).values_list("scid", flat=True))
    # every event marked synced carries the Id the org gave its record: a confirmed write
    by_scid = {r["External_ID__c"]: r["Id"] for r in in_org}
    synced = ChangeEvent.objects.upstream().filter(org=org, status="synced")
    assert {e.scid: e.salesforce_id for e in synced} == {e.scid: by_scid[e.scid] for e in synced}
    assert ChangeEvent.objects.upstream().filter(org=org).exclude(status="synced").count() == 0


def _mid_batch(site, org) -> None:
    """Latency per API call so a fault lands mid-batch; returns once the org holds some of the first batch's
    records and none of them is marked synced yet (written there, not yet confirmed here: the worst moment)."""
    site.org.control("inject_fault", fault={"type": "latency", "ms": 400, "path": "composite/sobjects"})
    recorded_accounts(org, RECORDS, "Fault")
    wait_for(lambda: len(site.org.records("Account")) >= 200 and _synced(org) == 0, 60, "a batch to be half way")


def test_worker_sigkilled_mid_batch_recovers_within_two_leases_and_a_sweep(installation, faults_org, report):
    site, org = installation, faults_org
    site.beat()
    worker = site.worker()
    _mid_batch(site, org)

    worker.kill()  # SIGKILL to the worker and its prefork children, as the OOM killer would
    killed_at, synced_at_kill = time.monotonic(), _synced(org)
    site.org.control("clear_faults")
    site.worker()
    wait_for(lambda: _synced(org) == RECORDS, RECOVERY_BOUND + ALLOWANCE, "every record to be synced")
    recovery = time.monotonic() - killed_at

    report(
        f"\nSIGKILL mid-batch: {synced_at_kill}/{RECORDS} synced at the kill; all synced {recovery:.1f} s later "
        f"(lease {LEASE_SECONDS} s, sweep {SWEEP_SECONDS} s, bound {RECOVERY_BOUND} s + {ALLOWANCE} s allowance)"
    )
    _assert_org_holds_exactly_what_is_synced(site, org)
    assert site.errors() == []


def test_worker_database_connections_terminated_mid_batch_end_the_run_cleanly(installation, faults_org, report):
    site, org = installation, faults_org
    site.beat()
    site.worker()
    _mid_batch(site, org)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'scsync-worker' AND datname = current_database()"
        )
        terminated = cursor.fetchone()[0]
    cut_at, synced_at_cut = time.monotonic(), _synced(org)
    site.org.control("clear_faults")
    wait_for(lambda: _synced(org) == RECORDS, RECOVERY_BOUND + ALLOWANCE, "every record to be synced")
    recovery = time.monotonic() - cut_at

    report(
        f"\npg_terminate_backend of {terminated} worker connections mid-batch: {synced_at_cut}/{RECORDS} synced then; "
        f"all synced {recovery:.1f} s later (bound {RECOVERY_BOUND} s + {ALLOWANCE} s allowance)"
    )
    assert terminated >= 1
    _assert_org_holds_exactly_what_is_synced(site, org)
    assert site.errors() == []
    assert "database connection lost" in "".join(p.output() for p in site.processes)
