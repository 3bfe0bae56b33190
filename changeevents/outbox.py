"""What a person may do to the outbox from the console: send a deferred change now."""

from django.db import transaction
from django.utils import timezone

from connectors.audit import log_change

from .models import ChangeEvent
from .recording import schedule_dispatch


def retry_now(events, user=None) -> int:
    """The given pending events that wait for a later attempt (backing off after a failed call) are due now, and
    their orgs' dispatchers are woken. Anything else (sent, failed, held, in flight) is left alone."""
    with transaction.atomic():
        now = timezone.now()
        deferred = list(events.filter(status=ChangeEvent.Status.PENDING, next_attempt_at__gt=now))
        ChangeEvent.objects.filter(pk__in=[e.pk for e in deferred]).update(next_attempt_at=now)
        for org_id in {e.org_id for e in deferred}:
            schedule_dispatch(org_id)
        log_change(user, deferred, "Retry now: sent at once instead of after its back-off.")
    return len(deferred)
