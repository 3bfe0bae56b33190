"""Change Data Capture against the emulated org's Pub/Sub API (gRPC over TLS): events applied as they arrive,
replay ids stored and resumed, polling as the safety net. In-process: the subscription runs in the test's thread
(OrgSubscription.listen_once) against the real gRPC server; the listener process is tested in tests/faults."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from changeevents.cdc import Listener, OrgSubscription
from changeevents.downstream import poll_org
from changeevents.models import ChangeEvent, ChangeStream, SyncCursor
from changeevents.tasks import poll_downstream_task
from changeevents.upstream import dispatch_org
from storefront.models import Account, Contact
from tests.factories import ContactFactory, upstream_changes
from tests.processes import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def cdc_org(sf_org):
    sf_org.emulator.control.set_timings(pubsub_keepalive_seconds=0.2)
    return sf_org


def listen(org, until, timeout: float = 15.0) -> None:
    """Subscribe in this thread until `until()` holds after a batch (or the timeout cancels it)."""
    subscription = OrgSubscription(org.pk)
    timer = threading.Timer(timeout, subscription.stop)
    timer.start()
    try:
        subscription.listen_once(done=until)
    finally:
        timer.cancel()


def subscribed(org) -> ChangeStream:
    """Subscribe until a keepalive stored the stream's replay id: later changes are read after it."""
    listen(org, lambda: ChangeStream.objects.filter(org=org, replay_id__isnull=False).exists())
    return ChangeStream.objects.get(org=org)


def test_cdc_create_update_delete_and_undelete_arrive_and_are_applied(cdc_org):
    control = cdc_org.emulator.control
    subscribed(cdc_org)
    (account_id,) = control.create_records("Account", [{"Name": "Live Co", "Phone": "111"}])

    listen(cdc_org, lambda: Account.objects.filter(salesforce_id=account_id).exists())
    assert Account.objects.get(salesforce_id=account_id).name == "Live Co"

    control.update_records("Account", {account_id: {"Name": "Live & Renamed"}})
    listen(cdc_org, lambda: Account.objects.filter(name="Live & Renamed").exists())

    control.delete_records("Account", [account_id])
    listen(cdc_org, lambda: not Account.objects.filter(salesforce_id=account_id).exists())

    control.undelete_records("Account", [account_id])
    listen(cdc_org, lambda: Account.objects.filter(salesforce_id=account_id).exists())
    account = Account.objects.get(salesforce_id=account_id)
    assert (account.name, account.phone) == ("Live & Renamed", "111")
    assert not upstream_changes()  # nothing applied from the org goes back up


def test_cdc_update_applies_only_changed_fields_and_nulled_fields_become_empty(cdc_org):
    control = cdc_org.emulator.control
    (account_id,) = control.create_records("Account", [{"Name": "Partial Co", "Phone": "111", "Website": "a.example"}])
    poll_org(cdc_org.pk, sobjects=["Account"])
    # the website holds a value the org does not: a whole-row read would overwrite it, a changedFields update not
    Account.objects.filter(salesforce_id=account_id).update(billing_city="Local City")
    subscribed(cdc_org)

    control.update_records("Account", {account_id: {"Name": "Partial & Co", "Phone": None}})
    listen(cdc_org, lambda: Account.objects.filter(name="Partial & Co").exists())

    account = Account.objects.get(salesforce_id=account_id)
    assert (account.name, account.phone, account.website, account.billing_city) == (
        "Partial & Co",
        "",
        "a.example",
        "Local City",
    )


def test_cdc_restart_resumes_from_the_stored_replay_id_nothing_missed_nothing_twice(cdc_org):
    control = cdc_org.emulator.control
    first = subscribed(cdc_org).replay_id
    ids = control.create_records("Account", [{"Name": f"While down {n}"} for n in range(3)])  # nobody listening
    control.update_records("Account", {ids[0]: {"Name": "While down, renamed"}})

    listen(cdc_org, lambda: Account.objects.filter(name="While down, renamed").count() == 1)

    stream = ChangeStream.objects.get(org=cdc_org)
    assert Account.objects.filter(salesforce_id__in=ids).count() == 3
    assert not SyncCursor.objects.filter(org=cdc_org).exists()  # all by events: nothing was polled
    assert stream.events_applied == 4  # three CREATE events (each record its own values) and one UPDATE
    assert bytes(stream.replay_id) > bytes(first)
    created = ChangeEvent.objects.downstream().filter(event_type="create")
    assert created.count() == 3 and created.values("salesforce_id").distinct().count() == 3

    listen(cdc_org, lambda: True)  # a restart reads after the stored replay id: nothing again
    assert ChangeStream.objects.get(org=cdc_org).events_applied == stream.events_applied
    # once each: the rename arrived with its create in one batch and was applied with it
    assert ChangeEvent.objects.downstream().count() == 3
    assert Account.objects.get(salesforce_id=ids[0]).name == "While down, renamed"


def test_cdc_replay_id_too_old_falls_back_to_a_poll_then_goes_on_live(cdc_org):
    control = cdc_org.emulator.control
    subscribed(cdc_org)
    control.set_timings(event_retention_seconds=0)  # the org keeps no event: the stored replay id is too old
    (missed,) = control.create_records("Account", [{"Name": "Only by poll"}])
    control.set_timings(event_retention_seconds=3600)

    listen(cdc_org, lambda: True)

    assert Account.objects.filter(salesforce_id=missed).exists()
    stream = ChangeStream.objects.get(org=cdc_org)
    assert "replay id refused" in stream.last_error and stream.replay_id is None
    subscribed(cdc_org)  # from the stream's tip: what came before it the poll read
    (live,) = control.create_records("Account", [{"Name": "Live again"}])
    listen(cdc_org, lambda: Account.objects.filter(salesforce_id=live).exists())
    assert Account.objects.get(salesforce_id=live).name == "Live again"


def test_cdc_the_websites_own_pushes_are_not_echoed(cdc_org):
    subscribed(cdc_org)
    contact = ContactFactory(account__org=cdc_org, org=cdc_org, phone="555")
    dispatch_org(cdc_org.pk)  # the account and the contact go up: the org publishes their CREATE events
    upstream = ChangeEvent.objects.upstream().count()

    listen(cdc_org, lambda: ChangeStream.objects.get(org=cdc_org).events_applied >= 2)

    assert ChangeEvent.objects.upstream().count() == upstream
    assert not ChangeEvent.objects.downstream().exists()  # the same values: skipped by hash, nothing written
    contact.refresh_from_db()
    assert contact.phone == "555" and Contact.objects.filter(org=cdc_org).count() == 1


def test_cdc_a_childs_event_before_its_parent_is_held_then_applied_when_the_parent_arrives(cdc_org):
    control = cdc_org.emulator.control
    (account_id,) = control.create_records("Account", [{"Name": "Parent Co"}])  # before the subscription
    subscribed(cdc_org)
    (contact_id,) = control.create_records("Contact", [{"LastName": "Early", "AccountId": account_id}])

    listen(cdc_org, lambda: ChangeEvent.objects.downstream().pending().exists())
    assert not Contact.objects.exists()  # held: its account is not on the website

    control.update_records("Account", {account_id: {"Phone": "777"}})  # the parent's event: only a change
    listen(cdc_org, lambda: Contact.objects.filter(salesforce_id=contact_id).exists())

    contact = Contact.objects.get(salesforce_id=contact_id)
    assert contact.account.name == "Parent Co" and contact.account.phone == "777"
    assert not ChangeEvent.objects.downstream().pending().exists()


def test_cdc_healthy_subscription_stretches_polling_and_a_dropped_stream_brings_5s_polling_back(cdc_org):
    control = cdc_org.emulator.control
    poll_org(cdc_org.pk)  # a safety-net read just ran
    subscribed(cdc_org)
    assert ChangeStream.objects.healthy().filter(org=cdc_org).exists()
    assert "healthy" in poll_downstream_task(cdc_org.pk, "realtime", every=5)
    assert "healthy" in poll_downstream_task(cdc_org.pk, "ten_minutes", every=600)

    dropper = threading.Timer(0.5, control.drop_change_streams, kwargs={"refuse_for_seconds": 30})
    dropper.start()
    listen(cdc_org, lambda: False)  # ends when the org drops the stream

    stream = ChangeStream.objects.get(org=cdc_org)
    assert stream.connected_at is None and "UNAVAILABLE" in stream.last_error
    outcome = poll_downstream_task(cdc_org.pk, "realtime", every=5)  # the next Beat tick polls again
    assert "rows from" in outcome


def test_cdc_a_listener_not_heard_from_is_down_and_the_safety_net_reads_all_objects_once_a_minute(cdc_org):
    subscribed(cdc_org)
    SyncCursor.objects.create(org=cdc_org, sobject="Account", last_polled_at=timezone.now() - timedelta(seconds=61))

    outcome = poll_downstream_task(cdc_org.pk, "realtime", every=5)  # healthy, a minute since the last read

    assert "rows from" in outcome and "PricebookEntry" in outcome  # the ten-minute group is read with it
    ChangeStream.objects.filter(org=cdc_org).update(last_heard_at=timezone.now() - timedelta(seconds=60))
    assert not ChangeStream.objects.healthy().exists()  # the listener died: its streams go stale
    assert "rows from" in poll_downstream_task(cdc_org.pk, "ten_minutes", every=600)


def test_cdc_an_expired_session_is_renewed_and_the_subscription_goes_on(cdc_org):
    control = cdc_org.emulator.control
    subscribed(cdc_org)
    control.expire_sessions()  # the org refuses the session: UNAUTHENTICATED
    (account_id,) = control.create_records("Account", [{"Name": "After renewal"}])

    listen(cdc_org, lambda: Account.objects.filter(salesforce_id=account_id).exists())

    assert Account.objects.filter(salesforce_id=account_id).exists()
    assert ChangeStream.objects.get(org=cdc_org).last_error == ""


@pytest.mark.django_db(transaction=True)
def test_cdc_listener_threads_subscribe_each_org_once_across_listeners_and_hand_over_when_one_stops(cdc_org):
    """Two listeners (threads, committed data): the org's lease lets only one subscribe it; when that one stops,
    the other takes the org over at its next step and the changes made meanwhile arrive."""
    control = cdc_org.emulator.control
    first, second = Listener(), Listener()
    try:
        first.step()
        second.step()
        assert set(first.subscriptions) == {cdc_org.pk} and second.subscriptions == {}
        connected = ChangeStream.objects.filter(org=cdc_org, connected_at__isnull=False).exists
        wait_for(connected, 15, "the first listener's subscription")
        (early,) = control.create_records("Account", [{"Name": "Early"}])
        wait_for(lambda: Account.objects.filter(salesforce_id=early).exists(), 15, "the first listener's apply")

        first.stop()
        (late,) = control.create_records("Account", [{"Name": "Late"}])  # nobody subscribed
        second.step()

        assert set(second.subscriptions) == {cdc_org.pk}
        wait_for(lambda: Account.objects.filter(salesforce_id=late).exists(), 15, "the second listener's apply")
        assert ChangeStream.objects.get(org=cdc_org).events_applied == 2
    finally:
        first.stop()
        second.stop()
