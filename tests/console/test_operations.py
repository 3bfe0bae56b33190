"""The operations console (issue 18): the sync-health dashboard, the outbox and cursors, the cached badge, the JSON
endpoint, /health/ and /metrics. In-process (the test client); the browser test is in test_browser.py."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from changeevents.health import beat, observe
from changeevents.models import ChangeEvent, ChangeStream, ProcessHeartbeat, SyncCursor
from connectors.models import SalesforceOrg
from syncerrors.models import SyncError
from tests.console.factories import failed_contact, held_order
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db
LIST = "admin:syncerrors_syncerror_changelist"


def queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
        assert response.status_code == 200, response.content[:500]
    return len(captured)


def alive_processes():
    beat(ProcessHeartbeat.Kind.WORKER, "host:1")
    beat(ProcessHeartbeat.Kind.BEAT, "host:2")


# --- the badge and the list ---------------------------------------------------------------------------------
def test_badge_counts_problems_and_the_changes_they_hold(admin_client, store):
    contact, root = failed_contact(store)
    held_order(store, contact, root)
    held_order(store, contact, root)

    page = admin_client.get(reverse("admin:index")).content.decode()

    assert "1 problem holding 2 changes" in page


def test_badge_is_a_cached_count_dropped_when_errors_change(admin_client, store):
    failed_contact(store)
    admin_client.get(reverse("admin:index"))  # counted and cached

    with CaptureQueriesContext(connection) as captured:
        admin_client.get(reverse("admin:password_change"))  # a page with the badge and nothing else counted
    assert not [q for q in captured if "syncerrors_syncerror" in q["sql"]]

    failed_contact(store)  # errors changed: the next page counts again
    assert "2 problems" in admin_client.get(reverse("admin:password_change")).content.decode()


def test_held_count_is_kept_on_the_root_through_resync(admin_client, store):
    contact, root = failed_contact(store)
    held = held_order(store, contact, root)
    assert SyncError.objects.get(pk=root.pk).held_count == 1

    admin_client.post(reverse(LIST), {"action": "resync_selected", "_selected_action": [held.pk, root.pk]})

    assert SyncError.objects.get(pk=root.pk).held_count == 0


def test_list_filters_and_badge_cost_the_same_queries_for_few_or_many_errors(admin_client, store):
    failed_contact(store)
    few = [queries(admin_client, reverse(LIST)), queries(admin_client, reverse(LIST), status_code="X", sobject="Y")]
    for _ in range(30):
        contact, root = failed_contact(store, code=f"CODE_{_ % 7}")
        held_order(store, contact, root)
    failed_contact(StoreFactory())  # an org-shared record of another org too

    many = [queries(admin_client, reverse(LIST)), queries(admin_client, reverse(LIST), status_code="X", sobject="Y")]

    assert few == many


def test_list_shows_the_org_for_shared_records_and_cuts_long_messages(admin_client, store):
    long_message = "Required fields are missing: [LastName]. " * 10
    _, error = failed_contact(store, message=long_message)
    SyncError.objects.filter(pk=error.pk).update(store=None)

    page = admin_client.get(reverse(LIST)).content.decode()

    assert f"{store.org.name} (shared by its stores)" in page
    assert f'title="{long_message}"' in page and 'class="sync-error-message"' in page


def test_filters_have_plain_labels_and_list_orgs_from_the_org_table(admin_client, store):
    failed_contact(store)

    page = admin_client.get(reverse(LIST)).content.decode()

    assert "By org" in page and "By status code" in page and "Shared by the org&#x27;s stores" in page
    assert "is null" not in page.lower()


def test_resync_this_error_from_its_info_page(admin_client, admin_user, store):
    from django.contrib.admin.models import LogEntry

    contact, root = failed_contact(store)
    held = held_order(store, contact, root)
    _, other = failed_contact(store)
    url = reverse("admin:syncerrors_syncerror_resync", args=[root.pk])
    info = admin_client.get(reverse("admin:syncerrors_syncerror_info", args=[root.pk])).content.decode()

    assert admin_client.get(url).status_code == 405  # a GET re-syncs nothing
    response = admin_client.post(url)

    assert 'id="resync-this-error"' in info and "csrfmiddlewaretoken" in info
    assert response.status_code == 302
    assert set(SyncError.objects.unresolved().values_list("pk", flat=True)) == {other.pk}
    assert {held.pk, root.pk} <= {int(e.object_id) for e in LogEntry.objects.filter(user=admin_user)}


# --- the console page and its JSON ----------------------------------------------------------------------------
def test_console_page_extends_the_admin_with_plain_labels(admin_client, store):
    failed_contact(store)

    page = admin_client.get(reverse("syncerrors:error_list")).content.decode()

    assert "SCSync console" in page and 'id="sync-error-badge"' in page and 'id="changelist-filter"' in page
    assert "Unresolved errors" in page and "Processed on or after" in page
    assert "is null" not in page.lower() and "exclude" not in page.lower()


def test_json_endpoint_gives_the_badge_and_a_page_scoped_to_the_users_stores(client, store, store_staff):
    contact, mine = failed_contact(store)
    held_order(store, contact, mine)
    _, theirs = failed_contact(StoreFactory())
    url = reverse("syncerrors:error_api")

    anonymous = client.get(url)
    client.force_login(store_staff)
    body = client.get(url).json()
    bad = client.get(url, {"status_code": "NO_SUCH_CODE"})

    assert anonymous.status_code == 403
    assert body["badge"] == {"problems": 1, "held": 1}
    assert [e["id"] for e in body["errors"]][0] == mine.pk and theirs.pk not in [e["id"] for e in body["errors"]]
    assert body["errors"][0]["holds_back"] == 1 and body["errors"][0]["info_url"].endswith(f"/{mine.pk}/info/")
    assert bad.status_code == 400 and "status_code" in bad.json()["fields"]


# --- the dashboard ----------------------------------------------------------------------------------------------
def test_dashboard_shows_each_orgs_health_and_links_into_filtered_lists(admin_client, store):
    alive_processes()
    failing = StoreFactory()
    failed_contact(failing)
    SalesforceOrg.objects.filter(pk=failing.org_id).update(
        triggers_enabled=False, api_requests_used=14_900, api_requests_limit=15_000, api_usage_read_at=timezone.now()
    )
    SyncCursor.objects.create(org=store.org, sobject="Account", last_polled_at=timezone.now())
    ChangeEvent.objects.filter(org=failing.org).update(status="pending", created_at=timezone.now() - timedelta(hours=2))

    page = admin_client.get(reverse("admin:index")).content.decode()

    healthy_row = page[page.index(f'id="org-health-{store.org_id}"') :]
    failing_row = page[page.index(f'id="org-health-{failing.org_id}"') :]
    assert 'class="org-health healthy"' in page and 'class="org-health unhealthy"' in page
    assert "sync triggers are off" in failing_row and "90% of the daily API requests used" in failing_row
    assert "14900 / 15000" in failing_row and "oldest pending: 2" in failing_row
    assert f"?org={failing.org_id}" in failing_row and "<svg" in failing_row
    assert "healthy" in healthy_row[:600]
    assert 'id="process-worker"' in page and "Celery worker: alive" in page


def test_dashboard_shows_a_stale_worker_in_red(admin_client, store):
    alive_processes()
    ProcessHeartbeat.objects.filter(kind="worker").update(last_beat_at=timezone.now() - timedelta(minutes=5))

    page = admin_client.get(reverse("admin:index")).content.decode()

    assert 'class="process bad" id="process-worker"' in page and "Celery worker: not heard from for 5" in page
    assert 'class="process ok" id="process-beat"' in page


def test_dashboard_chart_counts_errors_opened_and_resolved_per_hour(admin_client, store):
    _, first = failed_contact(store)
    _, second = failed_contact(store)
    SyncError.objects.filter(pk=second.pk).update(resolved_at=timezone.now())

    page = admin_client.get(reverse("admin:index")).content.decode()

    assert "Sync errors over the last 48 hours: 2 opened, 1 resolved" in page


def test_dashboard_costs_the_same_queries_for_one_or_many_orgs(admin_client, store):
    alive_processes()
    one = queries(admin_client, reverse("admin:index"))
    for _ in range(4):
        other = StoreFactory()
        failed_contact(other)
        SyncCursor.objects.create(org=other.org, sobject="Account", last_polled_at=timezone.now())
        ChangeStream.objects.create(org=other.org)

    assert queries(admin_client, reverse("admin:index")) == one


def test_org_health_page_shows_objects_and_the_subscription_and_only_to_its_staff(client, admin_client, store):
    from tests.factories import UserFactory

    SyncCursor.objects.create(org=store.org, sobject="Contact", last_error="INVALID_SESSION_ID on the last poll")
    ChangeStream.objects.create(org=store.org, events_applied=42, last_error="stream ended")
    url = reverse("admin:syncerrors_org_health", args=[store.org_id])
    other_store = StoreFactory()
    outsider = UserFactory(username="outsider")
    from django.contrib.auth.models import Permission

    outsider.user_permissions.set(Permission.objects.filter(content_type__app_label="syncerrors"))
    other_store.managers.add(outsider)
    client.force_login(outsider)

    page = admin_client.get(url).content.decode()

    assert "INVALID_SESSION_ID on the last poll" in page and "42" in page and "stream ended" in page
    assert client.get(url).status_code == 404


# --- the outbox and the cursors ---------------------------------------------------------------------------------
def test_outbox_lists_events_read_only_and_retries_a_deferred_one_now(admin_client, store):
    from storefront.models import Account

    account = Account.objects.create(org=store.org, name="Backing off")
    event = ChangeEvent.objects.get(model_label="storefront.account", object_pk=account.pk)
    later = timezone.now() + timedelta(minutes=5)
    ChangeEvent.objects.filter(pk=event.pk).update(attempts=2, next_attempt_at=later)
    url = reverse("admin:changeevents_changeevent_changelist")

    listing = admin_client.get(url, {"org": store.org_id, "status__exact": "pending"})
    change = admin_client.get(reverse("admin:changeevents_changeevent_change", args=[event.pk]))
    admin_client.post(url, {"action": "retry_now_action", "_selected_action": [event.pk]})

    assert [e.pk for e in listing.context["cl"].result_list] == [event.pk]
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert ChangeEvent.objects.get(pk=event.pk).next_attempt_at <= timezone.now()


def test_staff_see_their_orgs_cursors_only(client, store, store_staff):
    mine = SyncCursor.objects.create(org=store.org, sobject="Account")
    SyncCursor.objects.create(org=StoreFactory().org, sobject="Account")
    from django.contrib.auth.models import Permission

    store_staff.user_permissions.add(*Permission.objects.filter(codename="view_synccursor"))
    client.force_login(store_staff)

    listing = client.get(reverse("admin:changeevents_synccursor_changelist"))

    assert list(listing.context["cl"].result_list) == [mine]


# --- the index ----------------------------------------------------------------------------------------------------
def test_index_groups_connections_errors_and_website_records_first(admin_client):
    apps = [app["app_label"] for app in admin_client.get(reverse("admin:index")).context["app_list"]]

    assert apps[:3] == ["connectors", "syncerrors", "storefront"]


def test_staff_do_not_see_beat_schedules(client, store_staff):
    from django.contrib.auth.models import Permission

    store_staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="django_celery_beat"))
    client.force_login(store_staff)

    index = client.get(reverse("admin:index"))

    assert "django_celery_beat" not in [app["app_label"] for app in index.context["app_list"]]
    assert client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 403


# --- /health/ and /metrics ---------------------------------------------------------------------------------------
def test_health_is_green_with_live_processes_and_red_when_the_worker_heartbeat_is_stale(client):
    alive_processes()
    green = client.get("/health/", HTTP_ACCEPT="application/json")
    ProcessHeartbeat.objects.filter(kind="worker").update(last_beat_at=timezone.now() - timedelta(minutes=5))
    red = client.get("/health/", HTTP_ACCEPT="application/json")

    assert green.status_code == 200, green.content
    assert red.status_code == 500
    failing = {name: state for name, state in red.json().items() if state != "OK"}
    assert list(failing) == ["WorkerHeartbeat()"]


def test_metrics_need_their_token(client, settings, store):
    settings.SCSYNC_METRICS_TOKEN = "s3cret-token"
    failed_contact(store)
    SyncCursor.objects.create(org=store.org, sobject="Account", last_polled_at=timezone.now() - timedelta(seconds=30))
    observe("sweep", 0.25)
    observe("sweep", 0.75)

    anonymous = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")

    assert anonymous.status_code == 401 and wrong.status_code == 401
    text = right.content.decode()
    assert right.status_code == 200
    assert (
        f'scsync_sync_errors_open{{org="{store.org.name}",status_code="FIELD_CUSTOM_VALIDATION_EXCEPTION"}} 1.0' in text
    )
    assert 'scsync_run_duration_seconds_count{run="sweep"} 2.0' in text
    assert 'scsync_run_duration_seconds_sum{run="sweep"} 1.0' in text
    assert f'scsync_downstream_lag_seconds{{org="{store.org.name}",sobject="Account"}}' in text
    assert "scsync_change_events{" in text


def test_metrics_are_off_without_a_token(client, settings):
    settings.SCSYNC_METRICS_TOKEN = ""

    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_list_count_is_cached_until_errors_change(admin_client, store):
    failed_contact(store)
    admin_client.get(reverse(LIST))  # counted and cached

    with CaptureQueriesContext(connection) as captured:
        again = admin_client.get(reverse(LIST))
    counts = [q for q in captured if "COUNT(" in q["sql"].upper() and "syncerrors_syncerror" in q["sql"]]
    failed_contact(store)  # errors changed: the list counts again
    after = admin_client.get(reverse(LIST))

    assert counts == []
    assert again.context["cl"].result_count == 1 and after.context["cl"].result_count == 2
