"""The Change Data Capture listener killed and restarted: it resumes from the replay id it stored with the last
batch it applied, so of the org's changes none is missed and none is applied twice; and while it is down, the
org's streams go stale and polling takes over.

Real processes: `manage.py listen_changes` subprocesses (SIGKILLed), the standalone emulated org and its gRPC
Pub/Sub server, on the test run's PostgreSQL database.
"""

import pytest

from tests.processes import wait_for

pytestmark = pytest.mark.faults
BEFORE, WHILE_DOWN = 100, 200  # org changes applied before the kill, and made while the listener is dead


def _stream(org):
    from changeevents.models import ChangeStream

    return ChangeStream.objects.filter(org=org).first()


def _names(org) -> dict[str, str]:
    from storefront.models import Account

    return dict(Account.objects.filter(org=org).values_list("salesforce_id", "name"))


def test_listener_killed_and_restarted_resumes_from_its_replay_id_nothing_missed_nothing_twice(installation, report):
    from changeevents.models import ChangeEvent, ChangeStream, SyncCursor
    from tests.faults.conftest import make_org

    site = installation
    org = make_org("Live", polls=False, change_data_capture=True)
    site.org.control("set_timings", pubsub_keepalive_seconds=0.5)
    listener = site.listener()
    wait_for(lambda: (s := _stream(org)) and s.replay_id is not None, 60, "the subscription to store a replay id")

    def create(start: int) -> list[str]:
        records = [{"Name": f"A{n}"} for n in range(start, start + 10)]
        return site.org.control("create_records", sobject="Account", records=records)

    ids = [record_id for start in range(0, BEFORE, 10) for record_id in create(start)]
    wait_for(lambda: len(_names(org)) == BEFORE, 60, "the first changes to be applied")

    listener.kill()  # SIGKILL: no goodbye, its stream just goes quiet
    wait_for(lambda: not ChangeStream.objects.healthy().filter(org=org).exists(), 30, "the stream to go stale")
    renames = {record_id: {"Name": f"Renamed {n}"} for n, record_id in enumerate(ids)}  # each its own value
    site.org.control("update_records", sobject="Account", updates=renames)
    for start in range(BEFORE, BEFORE + WHILE_DOWN - len(renames), 10):
        create(start)
    assert len(_names(org)) == BEFORE  # nobody listening, nobody polling

    site.listener()
    expected = {r["Id"]: r["Name"] for r in site.org.records("Account")}
    wait_for(lambda: _names(org) == expected, 60, "every change made while it was down")

    stream = _stream(org)
    missed = set(expected.items()) - set(_names(org).items())
    assert missed == set()
    assert stream.events_applied == BEFORE + WHILE_DOWN  # each event applied once: none read again after restart
    assert stream.last_error == "" or "ended" in stream.last_error
    assert not SyncCursor.objects.filter(org=org).exists()  # resumed from its replay id, not by a poll
    assert ChangeEvent.objects.downstream().filter(org=org).count() == BEFORE + WHILE_DOWN
    assert site.errors() == []
    report(f"listener killed after {BEFORE} changes, {WHILE_DOWN} made while down: 0 missed, 0 applied twice")
