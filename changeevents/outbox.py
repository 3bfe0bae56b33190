"""Changes of the outbox's state made outside a dispatch: a person's "send it now", and the settling of changes
refused because the org deleted the record (restored there, or deleted here too)."""

from django.db import transaction
from django.utils import timezone

from connectors.audit import log_change

from .failures import failures_settled
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


DELETED_IN_ORG = ("ENTITY_IS_DELETED",)  # a change of a record the org deleted: waits for a person's choice


def requeue_restored(org_id: int, model_label: str, object_pks) -> int:
    """Records the org restored from its Recycle Bin: their changes refused because the record was deleted there,
    and every change held behind those, are due again; their errors are resolved. Returns how many were requeued."""
    object_pks = list(object_pks)
    if not object_pks:
        return 0
    roots = list(
        ChangeEvent.objects.upstream()
        .failed()
        .filter(org_id=org_id, model_label=model_label, object_pk__in=object_pks)
        .filter(last_status_code__in=DELETED_IN_ORG)
        .values_list("pk", flat=True)
    )
    if not roots:
        return 0
    ids = roots + _held_behind(roots)
    _due_again(ids, reset_attempts=True)
    failures_settled(ids)
    schedule_dispatch(org_id)
    return len(ids)


def settle_deleted_on_both_sides(org_id: int, model_label: str, object_pk: int) -> list[int]:
    """The website deleted a record the org had already deleted: its changes refused for that are moot (superseded,
    their errors resolved), and changes of other records held behind them are due again. Returns the moot ones."""
    record = ChangeEvent.objects.upstream().filter(org_id=org_id, model_label=model_label, object_pk=object_pk)
    moot = list(record.filter(status__in=("failed", "held")).values_list("pk", flat=True))
    if not moot:
        return []
    ChangeEvent.objects.filter(pk__in=moot).update(status=ChangeEvent.Status.SUPERSEDED, processed_at=timezone.now())
    behind = _held_behind(moot)
    _due_again(behind)
    failures_settled(moot + behind)
    if behind:
        schedule_dispatch(org_id)
    return moot


def _held_behind(roots: list[int]) -> list[int]:
    return list(ChangeEvent.objects.held().filter(blocked_by__in=roots).values_list("pk", flat=True))


def _due_again(ids: list[int], reset_attempts: bool = False) -> None:
    """Back to pending, due now and released from whatever held them (attempts counted afresh if asked)."""
    fields = {"status": ChangeEvent.Status.PENDING, "next_attempt_at": timezone.now(), "blocked_by": None}
    fields |= {"claimed_by": "", "claimed_until": None}
    if reset_attempts:
        fields["attempts"] = 0
    ChangeEvent.objects.filter(pk__in=ids).update(**fields)
