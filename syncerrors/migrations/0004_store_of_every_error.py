"""Events and errors made by a bulk upload or a downstream apply before they carried a store get the store of their
record, where the record still exists (the same store paths as storefront.sync's mappings)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

STORE_PATHS = {
    "storefront.order": "store",
    "storefront.orderitem": "order__store",
    "storefront.lead": "store",
    "storefront.asset": "store",
    "storefront.case": "store",
}


def forwards(apps, schema_editor):
    ChangeEvent = apps.get_model("changeevents", "ChangeEvent")
    SyncError = apps.get_model("syncerrors", "SyncError")
    for label, path in STORE_PATHS.items():
        model = apps.get_model(label)
        store = model.objects.filter(pk=OuterRef("object_pk")).values(path)[:1]
        ChangeEvent.objects.filter(model_label=label, store__isnull=True, object_pk__isnull=False).update(
            store=Subquery(store)
        )
    event_store = ChangeEvent.objects.filter(pk=OuterRef("event_id")).values("store")[:1]
    SyncError.objects.filter(store__isnull=True, event__isnull=False).update(store=Subquery(event_store))


class Migration(migrations.Migration):
    dependencies = [
        ("syncerrors", "0003_errors_outlive_events"),
        ("changeevents", "0006_unsent_changes"),
        ("storefront", "0003_scid_unique_per_org"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
