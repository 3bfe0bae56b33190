"""Retention of synced events, and the org admin's Sync now actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changeevents.models import ChangeEvent
from changeevents.retention import prune_synced_events
from tests.factories import AccountFactory, no_inline_rows

pytestmark = pytest.mark.django_db


def test_retention_prunes_old_synced_events_and_keeps_failures(org, settings):
    settings.SCSYNC_EVENT_RETENTION_DAYS = 30
    for _ in range(4):
        AccountFactory(org=org)
    old, old_failed, recent, _pending = ChangeEvent.objects.order_by("id")
    long_ago = timezone.now() - timedelta(days=31)
    ChangeEvent.objects.filter(pk__in=[old.pk, old_failed.pk]).update(created_at=long_ago, processed_at=long_ago)
    ChangeEvent.objects.filter(pk=recent.pk).update(processed_at=timezone.now())
    ChangeEvent.objects.filter(pk__in=[old.pk, recent.pk]).update(status="synced")
    ChangeEvent.objects.filter(pk=old_failed.pk).update(status="failed")

    assert prune_synced_events() == 1

    assert not ChangeEvent.objects.filter(pk=old.pk).exists()
    assert ChangeEvent.objects.filter(pk__in=[old_failed.pk, recent.pk]).count() == 2


class _SentTasks:
    def __init__(self):
        self.sent = []

    def send(self, name, args=None, kwargs=None):
        self.sent.append((name, args))


def test_sync_now_actions_queue_downstream_polls_after_commit(
    admin_client, org, monkeypatch, django_capture_on_commit_callbacks
):
    broker = _SentTasks()
    monkeypatch.setattr("connectors.broker.send", broker.send)
    url = reverse("admin:connectors_salesforceorg_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"action": "sync_now", "_selected_action": [org.pk]})
        admin_client.post(url, {"action": "sync_ten_minute_objects_now", "_selected_action": [org.pk]})

    task = "changeevents.tasks.poll_downstream_task"
    assert broker.sent == [(task, [org.pk, None]), (task, [org.pk, "ten_minutes"])]


def test_org_admin_is_the_engines_subclass_registered_in_place_of_connectors():
    from django.contrib import admin

    from changeevents.admin import SyncedOrgAdmin
    from connectors.admin import SalesforceOrgAdmin
    from connectors.models import SalesforceOrg

    registered = admin.site._registry[SalesforceOrg]

    assert isinstance(registered, SyncedOrgAdmin)  # with the console's tenancy rule mixed in first
    assert issubclass(SyncedOrgAdmin, SalesforceOrgAdmin)
    assert SalesforceOrgAdmin.actions != SyncedOrgAdmin.actions  # connectors' own admin is left untouched


def test_org_admin_switching_triggers_logs_who_and_when(admin_client, admin_user, org):
    from django.contrib.admin.models import LogEntry

    url = reverse("admin:connectors_salesforceorg_change", args=[org.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"triggers_enabled": ""} | no_inline_rows(page))

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content[:2000]
    org.refresh_from_db()
    assert org.triggers_enabled is False
    assert org.triggers_changed_by == admin_user
    assert LogEntry.objects.filter(object_id=str(org.pk), change_message__contains="switched off").exists()


def test_retention_goes_by_processed_at_so_an_old_event_synced_today_stays(org, settings):
    settings.SCSYNC_EVENT_RETENTION_DAYS = 30
    AccountFactory(org=org)
    event = ChangeEvent.objects.get()
    ChangeEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(days=40), status="synced", processed_at=timezone.now()
    )

    assert prune_synced_events() == 0
    assert ChangeEvent.objects.filter(pk=event.pk).exists()


def test_retention_keeps_events_that_had_an_error_for_the_error_retention_and_never_deletes_errors(sf_org, settings):
    from changeevents.upstream import dispatch_org
    from syncerrors.models import SyncError
    from syncerrors.resync import resync_errors

    settings.SCSYNC_EVENT_RETENTION_DAYS = 30
    settings.SCSYNC_ERROR_EVENT_RETENTION_DAYS = 180
    control = sf_org.emulator.control
    control.add_rule({"type": "validation", "object": "Account", "name": "stop", "message": "Stop"})
    AccountFactory(org=sf_org)
    dispatch_org(sf_org.pk)
    control.remove_rule("stop")
    resync_errors(SyncError.objects.unresolved())
    dispatch_org(sf_org.pk)  # re-synced: the event is synced, its error resolved
    event = ChangeEvent.objects.get()
    assert event.status == "synced" and event.had_error

    now = timezone.now()
    assert prune_synced_events(now=now + timedelta(days=40)) == 0  # past the synced retention: kept
    assert prune_synced_events(now=now + timedelta(days=181)) == 1  # past the error retention: the event goes

    error = SyncError.objects.get()  # the error history stays
    assert error.event_id is None and error.resolved_at is not None and error.message == "Stop"


def test_retention_prunes_in_batches(org, settings):
    settings.SCSYNC_EVENT_RETENTION_DAYS = 30
    for _ in range(7):
        AccountFactory(org=org)
    ChangeEvent.objects.update(status="synced", processed_at=timezone.now() - timedelta(days=31))

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert prune_synced_events(batch=3) == 7
    deletes = [q for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "changeevents_changeevent"')]
    assert len(deletes) == 3
    assert not ChangeEvent.objects.exists()
