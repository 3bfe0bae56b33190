"""The data migration that turns old media-import failures (failed outbox events holding the product's later
changes) into errors of their own: what they held goes back in the queue, nothing else is touched."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("syncerrors", "0004_store_of_every_error"),
    ("changeevents", "0006_unsent_changes"),
    ("connectors", "0004_allow_listed_connection_settings"),
]
AFTER = [("syncerrors", "0005_media_errors_hold_nothing")]


@pytest.mark.django_db(transaction=True)
def test_old_media_failures_release_what_they_held_and_keep_their_error():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Org = apps.get_model("connectors", "SalesforceOrg")
    Event = apps.get_model("changeevents", "ChangeEvent")
    Error = apps.get_model("syncerrors", "SyncError")
    org = Org.objects.create(name="Old org")
    common = {"org": org, "sobject": "Product2", "model_label": "storefront.product", "object_pk": 1, "scid": "SC1"}
    fake = Event.objects.create(**common, event_type="update", status="failed", last_status_code="MEDIA_IMPORT_FAILED")
    held = Event.objects.create(**common, event_type="update", status="held", blocked_by=fake)
    other = Event.objects.create(**common, event_type="update", status="failed", last_status_code="DUPLICATE_VALUE")
    root = Error.objects.create(
        event=fake, org=org, sobject="Product2", event_type="update", scid="SC1", status_code="MEDIA_IMPORT_FAILED"
    )
    held_error = Error.objects.create(
        event=held, org=org, sobject="Product2", event_type="update", scid="SC1", status_code="INVALID_CHANGE_EVENT",
        held_by=root,
    )  # fmt: skip
    kept = Error.objects.create(
        event=other, org=org, sobject="Product2", event_type="update", scid="SC1", status_code="DUPLICATE_VALUE",
        created_at=timezone.now(),
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Event = apps.get_model("changeevents", "ChangeEvent")
    Error = apps.get_model("syncerrors", "SyncError")

    assert not Event.objects.filter(pk=fake.pk).exists()
    released = Event.objects.get(pk=held.pk)
    assert (released.status, released.blocked_by_id) == ("pending", None)
    media_error = Error.objects.get(pk=root.pk)
    assert (media_error.event_id, media_error.resolved_at) == (None, None)  # still shown, holding nothing
    assert Error.objects.get(pk=held_error.pk).resolved_at is not None
    assert Event.objects.get(pk=other.pk).status == "failed" and Error.objects.get(pk=kept.pk).resolved_at is None
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
