"""Retention of synced events, and the org admin's Sync now actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changeevents.models import ChangeEvent
from changeevents.retention import prune_synced_events
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_retention_prunes_old_synced_events_and_keeps_failures(org, settings):
    settings.SCSYNC_EVENT_RETENTION_DAYS = 30
    for _ in range(4):
        AccountFactory(org=org)
    old, old_failed, recent, _pending = ChangeEvent.objects.order_by("id")
    long_ago = timezone.now() - timedelta(days=31)
    ChangeEvent.objects.filter(pk__in=[old.pk, old_failed.pk]).update(created_at=long_ago)
    ChangeEvent.objects.filter(pk__in=[old.pk, recent.pk]).update(status="synced")
    ChangeEvent.objects.filter(pk=old_failed.pk).update(status="failed")

    assert prune_synced_events() == 1

    assert not ChangeEvent.objects.filter(pk=old.pk).exists()
    assert ChangeEvent.objects.filter(pk__in=[old_failed.pk, recent.pk]).count() == 2


def test_sync_now_actions_queue_downstream_polls(admin_client, org, monkeypatch):
    queued = []
    monkeypatch.setattr("changeevents.admin.poll_downstream_task.delay", lambda *args: queued.append(args))
    url = reverse("admin:connectors_salesforceorg_changelist")

    admin_client.post(url, {"action": "sync_now", "_selected_action": [org.pk]})
    admin_client.post(url, {"action": "sync_ten_minute_objects_now", "_selected_action": [org.pk]})

    assert queued == [(org.pk,), (org.pk, "ten_minutes")]
