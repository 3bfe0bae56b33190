"""Claims go by status and lease, never by "id > last seen", so late commits and dead workers lose nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changeevents.models import ChangeEvent
from changeevents.upstream import claim_events
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def make_events(org, count):
    return [ChangeEvent.objects.get(object_pk=AccountFactory(org=org).pk) for _ in range(count)]


def test_claim_takes_an_older_event_that_committed_after_newer_ones_were_sent(org):
    older, newer = make_events(org, 2)
    # the newer one was claimed and synced first (its transaction committed first)
    ChangeEvent.objects.filter(pk=newer.pk).update(status="synced")

    claimed = claim_events(org.pk, 10, owner="worker-b")

    assert [e.pk for e in claimed] == [older.pk]


def test_claim_leaves_events_under_a_live_lease_and_reclaims_expired_ones(org):
    live, expired = make_events(org, 2)
    now = timezone.now()
    ChangeEvent.objects.filter(pk=live.pk).update(
        status="in_flight", claimed_by="worker-a", claimed_until=now + timedelta(minutes=1)
    )
    ChangeEvent.objects.filter(pk=expired.pk).update(
        status="in_flight", claimed_by="dead-worker", claimed_until=now - timedelta(seconds=1)
    )

    claimed = claim_events(org.pk, 10, owner="worker-b")

    assert [e.pk for e in claimed] == [expired.pk]
    assert claimed[0].claimed_by == "worker-b" and claimed[0].status == "in_flight"


def test_claim_waits_for_the_next_attempt_time(org):
    (event,) = make_events(org, 1)
    ChangeEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert claim_events(org.pk, 10, owner="worker-b") == []


def test_claim_is_per_org(org):
    mine = make_events(org, 2)
    other_account = AccountFactory()

    assert [e.object_pk for e in claim_events(other_account.org_id, 10, owner="worker-b")] == [other_account.pk]
    assert [e.pk for e in claim_events(org.pk, 10, owner="worker-b")] == [e.pk for e in mine]


def test_overlapping_dispatch_of_the_same_org_is_a_no_op(org):
    from changeevents.tasks import dispatch_upstream_task
    from connectors.leases import held_lock

    make_events(org, 1)

    with held_lock(f"upstream:{org.pk}"):
        result = dispatch_upstream_task(org.pk)

    assert result == "already running"
    assert ChangeEvent.objects.get().status == "pending"
