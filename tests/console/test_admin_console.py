"""The error list, info view, Re-sync actions, badge and per-store access in the admin."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from changeevents.models import ChangeEvent
from changeevents.triggers import set_triggers
from syncerrors.models import SyncError
from tests.console.factories import failed_contact, held_order
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db
LIST = "admin:syncerrors_syncerror_changelist"


def info_url(error):
    return reverse("admin:syncerrors_syncerror_info", args=[error.pk])


def test_console_list_shows_unresolved_roots_first_with_held_counts(admin_client, store):
    contact, root = failed_contact(store)
    held = held_order(store, contact, root)
    _, resolved = failed_contact(store)
    SyncError.objects.filter(pk=resolved.pk).update(resolved_at="2026-01-01T00:00:00Z")

    response = admin_client.get(reverse(LIST))

    rows = list(response.context["cl"].result_list)
    assert rows == [root, held]
    assert rows[0].held_count == 1
    content = response.content.decode()
    for column in ("Object", "Event type", "Processed at", "Salesforce ID", "StoreConnect ID", "Message", "Store"):
        assert column in content
    assert info_url(root) in content and contact.scid in content


def test_console_list_costs_the_same_queries_for_5_or_50_rows(admin_client, store, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(LIST)).status_code == 200
        return len(captured)

    for _ in range(5):
        failed_contact(store)
    five = queries_for_list()
    for _ in range(45):
        failed_contact(store)
    fifty = queries_for_list()

    assert five == fifty


def test_console_list_filters_and_search(admin_client, store):
    contact, root = failed_contact(store, code="DUPLICATES_DETECTED", message="Use one of these records?")
    failed_contact(store)

    by_code = admin_client.get(reverse(LIST), {"status_code": "DUPLICATES_DETECTED"})
    by_scid = admin_client.get(reverse(LIST), {"q": contact.scid})
    by_message = admin_client.get(reverse(LIST), {"q": "these records"})

    for response in (by_code, by_scid, by_message):
        assert list(response.context["cl"].result_list) == [root]


def test_console_info_view_shows_resolution_payload_record_and_chain(admin_client, store):
    contact, root = failed_contact(store)
    held = held_order(store, contact, root)

    root_page = admin_client.get(info_url(root)).content.decode()
    held_page = admin_client.get(info_url(held)).content.decode()

    assert "A validation rule in the org rejected the record." in root_page
    assert "Email is required" in root_page and "External_ID__c" in root_page
    assert reverse("admin:storefront_contact_change", args=[contact.pk]) in root_page
    assert info_url(held) in root_page
    assert "A parent record failed to sync" in held_page and info_url(root) in held_page
    assert "Held behind its parent record" in held_page


def test_console_resync_action_requeues_root_and_held_and_logs(admin_client, admin_user, store):
    contact, root = failed_contact(store)
    held = held_order(store, contact, root)

    response = admin_client.post(
        reverse(LIST), {"action": "resync_selected", "_selected_action": [root.pk]}, follow=True
    )

    assert "2 errors were re-queued." in response.content.decode()
    assert set(ChangeEvent.objects.filter(pk__in=[root.event_id, held.event_id]).values_list("status", flat=True)) == {
        "pending"
    }
    assert not SyncError.objects.unresolved().exists()
    assert LogEntry.objects.filter(user=admin_user, change_message="Re-synced").count() == 2


def test_console_resync_of_a_held_error_alone_says_what_holds_it(admin_client, store):
    contact, root = failed_contact(store)
    held = held_order(store, contact, root)

    response = admin_client.post(
        reverse(LIST), {"action": "resync_selected", "_selected_action": [held.pk]}, follow=True
    )

    content = response.content.decode()
    assert "0 errors were re-queued." in content
    assert f"is still held by error {root.pk} (FIELD_CUSTOM_VALIDATION_EXCEPTION)" in content
    assert SyncError.objects.unresolved().count() == 2


def test_console_resync_needs_csrf(admin_user, store):
    _, root = failed_contact(store)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(reverse(LIST), {"action": "resync_selected", "_selected_action": [root.pk]})

    assert response.status_code == 403
    assert SyncError.objects.unresolved().count() == 1


def test_console_resync_all_with_a_status_code_from_the_info_view(admin_client, store):
    _, first = failed_contact(store)
    failed_contact(store)
    failed_contact(store, code="UNKNOWN_EXCEPTION")

    url = reverse("admin:syncerrors_syncerror_resync_code", args=[first.pk])
    assert admin_client.get(url).status_code == 405
    admin_client.post(url)

    assert list(SyncError.objects.unresolved().values_list("status_code", flat=True)) == ["UNKNOWN_EXCEPTION"]


def test_console_duplicates_one_click_fix_after_confirmation(admin_client, store):
    _, error = failed_contact(store, code="DUPLICATES_DETECTED", message="Use one of these records?")
    url = reverse("admin:syncerrors_syncerror_allow_duplicates", args=[error.pk])

    confirmation = admin_client.get(url)
    assert "allowSave=true" in confirmation.content.decode()
    assert SyncError.objects.unresolved().count() == 1

    admin_client.post(url)

    event = ChangeEvent.objects.get(pk=error.event_id)
    assert event.status == "pending" and event.duplicate_rule_bypass is True


def test_console_badge_in_every_admin_footer_and_red_above_zero(admin_client, store):
    empty = admin_client.get(reverse("admin:index")).content.decode()
    failed_contact(store)
    failed_contact(store)
    two = admin_client.get(reverse("admin:storefront_contact_changelist")).content.decode()

    assert 'id="sync-error-badge"' in empty and "No sync problems" in empty and "has-errors" not in empty
    assert "2 problems" in two and "has-errors" in two
    assert "SCSync console" in two  # templates/admin/base_site.html is the one in use


def test_console_warns_on_every_admin_page_while_triggers_are_off(admin_client, store, admin_user):
    assert "sync-triggers-warning" not in admin_client.get(reverse("admin:index")).content.decode()

    set_triggers(store.org, False, user=admin_user)

    page = admin_client.get(reverse("admin:storefront_order_changelist")).content.decode()
    assert "Sync triggers are OFF for" in page and store.org.name in page


def test_console_store_staff_see_and_resync_only_their_stores_errors(client, store, store_staff):
    _, mine = failed_contact(store)
    _, theirs = failed_contact(StoreFactory())
    client.force_login(store_staff)

    listing = client.get(reverse(LIST))
    forged_info = client.get(info_url(theirs))
    client.post(reverse(LIST), {"action": "resync_selected", "_selected_action": [mine.pk, theirs.pk]})
    badge = client.get(reverse("admin:index")).content.decode()

    assert list(listing.context["cl"].result_list) == [mine]
    assert forged_info.status_code == 404
    assert SyncError.objects.get(pk=theirs.pk).resolved_at is None
    assert SyncError.objects.get(pk=mine.pk).resolved_at is not None
    assert "No sync problems" in badge


def test_console_store_staff_without_resync_permission_cannot_resync(client, store, store_staff):
    from django.contrib.auth.models import Permission

    store_staff.user_permissions.remove(Permission.objects.get(codename="resync_syncerror"))
    _, mine = failed_contact(store)
    client.force_login(store_staff)

    response = client.post(reverse("admin:syncerrors_syncerror_resync_code", args=[mine.pk]))

    assert response.status_code == 403
    assert SyncError.objects.get(pk=mine.pk).resolved_at is None


def test_console_resync_leaves_held_errors_of_stores_the_user_cannot_see(client, store, store_staff):
    contact, shared_root = failed_contact(store)
    SyncError.objects.filter(pk=shared_root.pk).update(store=None)  # a Contact is the org's, not a store's
    ChangeEvent.objects.filter(pk=shared_root.event_id).update(store=None)
    mine = held_order(store, contact, shared_root)
    theirs = held_order(StoreFactory(org=store.org), contact, shared_root)
    client.force_login(store_staff)

    response = client.post(
        reverse(LIST), {"action": "resync_selected", "_selected_action": [shared_root.pk]}, follow=True
    )

    content = response.content.decode()
    assert "2 errors were re-queued." in content
    assert "1 held error in a store you cannot see was left alone." in content
    assert set(SyncError.objects.unresolved().values_list("pk", flat=True)) == {theirs.pk}
    assert ChangeEvent.objects.get(pk=theirs.event_id).status == "held"
    assert ChangeEvent.objects.get(pk=mine.event_id).status == "pending"
