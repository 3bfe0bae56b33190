"""Media import failures used to be failed outbox events, which held the product's later changes (and its
children's) behind them. They become errors of their own with no event; what they held goes back in the queue
and the held errors are resolved (the dispatcher makes a new error should one of them fail for its own reason)."""

from django.db import migrations
from django.utils import timezone


def release(apps, schema_editor):
    ChangeEvent = apps.get_model("changeevents", "ChangeEvent")
    SyncError = apps.get_model("syncerrors", "SyncError")
    fake = ChangeEvent.objects.filter(status="failed", last_status_code="MEDIA_IMPORT_FAILED")
    fake_ids = list(fake.values_list("pk", flat=True))
    if not fake_ids:
        return
    now = timezone.now()
    roots = list(SyncError.objects.filter(event_id__in=fake_ids).values_list("pk", flat=True))
    SyncError.objects.filter(held_by_id__in=roots, resolved_at__isnull=True).update(resolved_at=now)
    ChangeEvent.objects.filter(blocked_by_id__in=fake_ids, status="held").update(
        status="pending", blocked_by=None, next_attempt_at=now, attempts=0
    )
    SyncError.objects.filter(pk__in=roots).update(event=None)
    fake.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("syncerrors", "0004_store_of_every_error"),
        ("changeevents", "0006_unsent_changes"),
    ]

    operations = [migrations.RunPython(release, migrations.RunPython.noop)]
