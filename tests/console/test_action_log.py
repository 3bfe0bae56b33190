"""Every admin action leaves one LogEntry per object it acted on; the catalog's actions switch the Beat row with
the active flag; a connector run holds a lock (issue 15, point 6)."""

from io import StringIO

import pytest
from django.contrib.admin import site
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from changeevents.models import ChangeEvent
from changeevents.triggers import set_triggers
from connectors.catalog.runs import ConnectorBusy, run_connector
from connectors.leases import held_lock
from connectors.models import CatalogConnector, ConnectorRun
from storefront.models import Account
from tests.catalog.test_rules import connector  # noqa: F401 (fixture)
from tests.console.factories import failed_contact

pytestmark = pytest.mark.django_db


def _deferred_change(org):
    from datetime import timedelta

    from django.utils import timezone

    account = Account.objects.create(org=org, name="Backing off")
    event = ChangeEvent.objects.filter(model_label="storefront.account", object_pk=account.pk).get()
    ChangeEvent.objects.filter(pk=event.pk).update(attempts=2, next_attempt_at=timezone.now() + timedelta(minutes=5))
    return event


def _unsent_change(org):
    set_triggers(org, False)
    Account.objects.create(org=org, name="Made while off")
    set_triggers(org, True)
    return ChangeEvent.objects.unsent().get()


# (model label, action) -> the object the action is run on
SUBJECTS = {
    ("connectors.salesforceorg", "sync_now"): lambda world: world["org"],
    ("connectors.salesforceorg", "sync_ten_minute_objects_now"): lambda world: world["org"],
    ("connectors.salesforceorg", "test_connection"): lambda world: world["org"],
    ("changeevents.unsentchange", "send_now"): lambda world: _unsent_change(world["org"]),
    ("changeevents.unsentchange", "discard_changes"): lambda world: _unsent_change(world["org"]),
    ("changeevents.changeevent", "retry_now_action"): lambda world: _deferred_change(world["org"]),
    ("syncerrors.syncerror", "resync_selected"): lambda world: failed_contact(world["store"])[1],
    ("connectors.catalogconnector", "activate"): lambda world: world["inactive_connector"],
    ("connectors.catalogconnector", "deactivate"): lambda world: world["connector"],
    ("connectors.catalogconnector", "refresh"): lambda world: world["connector"],
    ("connectors.catalogconnector", "force_refresh"): lambda world: world["connector"],
}


PROJECT_APPS = {"storefront", "changeevents", "syncerrors", "connectors"}  # Beat's own actions are its business


def _registered_actions() -> set[tuple[str, str]]:
    found = set()
    for model, model_admin in site._registry.items():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for action in model_admin.actions or ():
            name = action if isinstance(action, str) else action.__name__
            found.add((model._meta.label_lower, name))
    return found


def test_every_admin_action_is_in_the_log_table():
    """A new action must say here what it acts on, so the test below covers it."""
    assert _registered_actions() == set(SUBJECTS)


@pytest.mark.parametrize(("label", "action"), sorted(SUBJECTS))
def test_an_admin_action_leaves_one_log_entry_per_object(
    admin_client,
    admin_user,
    store,
    connector,  # noqa: F811
    label,
    action,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr("connectors.broker.send", lambda name, args, kwargs=None: None)
    inactive = CatalogConnector.objects.create(
        store=store, name="Paused", shop_url=connector.shop_url, access_token_env="SHOPIFY_TEST_TOKEN", active=False
    )
    world = {"org": store.org, "store": store, "connector": connector, "inactive_connector": inactive}
    subject = SUBJECTS[(label, action)](world)
    before = LogEntry.objects.count()
    app_label, model_name = label.split(".")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse(f"admin:{app_label}_{model_name}_changelist"), {"action": action, "_selected_action": [subject.pk]}
        )

    assert response.status_code == 302
    entries = list(LogEntry.objects.order_by("pk")[before:])
    assert len(entries) == 1, [e.change_message for e in entries]
    assert entries[0].user == admin_user and entries[0].change_message


def test_activate_and_deactivate_switch_the_connectors_beat_row(admin_client, connector):  # noqa: F811
    url = reverse("admin:connectors_catalogconnector_changelist")
    beat = PeriodicTask.objects.get(name=f"scsync: catalog connector {connector.pk}")

    admin_client.post(url, {"action": "deactivate", "_selected_action": [connector.pk]})
    beat.refresh_from_db()
    assert beat.enabled is False and CatalogConnector.objects.get(pk=connector.pk).active is False

    admin_client.post(url, {"action": "activate", "_selected_action": [connector.pk]})
    beat.refresh_from_db()
    assert beat.enabled is True and CatalogConnector.objects.get(pk=connector.pk).active is True


def test_a_connector_run_holds_a_lock_so_a_second_process_does_not_work_on_it(connector):  # noqa: F811
    Account.objects.create(org=connector.store.org, name="unrelated")  # something in the database, no catalog change
    with held_lock(f"catalog-run:{connector.pk}"):  # another process is running the connector
        with pytest.raises(ConnectorBusy):
            run_connector(connector.pk)
        with pytest.raises(CommandError, match="being run by another process"):
            call_command("connector_sync", connector.name, stdout=StringIO())

    assert not ConnectorRun.objects.exclude(state="queued").exists()  # nobody worked on the queued run
    run = run_connector(connector.pk)  # the lock is free again
    assert run is not None and run.state == "completed"
