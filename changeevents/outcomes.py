"""Outcomes of a dispatch, written in bulk: synced, superseded, failed, held, retried later, deferred."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .bulk_sql import update_rows
from .failures import EventFailure, report_failures
from .models import ChangeEvent, DeliveryAttempt
from .summaries import Tally

Status = ChangeEvent.Status
HELD_BEHIND_RECORD = "INVALID_CHANGE_EVENT"
HELD_BEHIND_PARENT = "INVALID_FIELD"
_FIELDS = [
    "status",
    "attempts",
    "next_attempt_at",
    "claimed_until",
    "claimed_by",
    "processed_at",
    "salesforce_id",
    "blocked_by",
    "last_status_code",
    "last_message",
]


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(attempts-1), capped, times a random factor in [0.5, 1.5)."""
    base, cap = settings.SCSYNC_RETRY_BASE_SECONDS, settings.SCSYNC_RETRY_MAX_SECONDS
    return min(cap, base * 2 ** max(attempts - 1, 0)) * random.uniform(0.5, 1.5)


@dataclass
class DispatchSummary(Tally):
    claimed: int = 0
    synced: int = 0
    superseded: int = 0
    failed: int = 0
    held: int = 0
    retried: int = 0
    deferred: int = 0
    api_calls: int = 0
    paused_until: object = None
    share_used: bool = False  # the run stopped at its fair share with work left: the org is queued again

    def __str__(self) -> str:
        text = (
            f"claimed {self.claimed}, synced {self.synced}, superseded {self.superseded}, failed {self.failed}, "
            f"held {self.held}, retried later {self.retried}, deferred {self.deferred}, API calls {self.api_calls}"
        )
        if self.paused_until:
            text += f"; sending paused until {self.paused_until:%Y-%m-%d %H:%M:%S} UTC"
        if self.share_used:
            text += "; share used, queued again"
        return text


@dataclass
class Outcomes:
    """Collects what happened to a batch's events and writes it in a few statements."""

    summary: DispatchSummary
    changed: dict[int, ChangeEvent] = field(default_factory=dict)
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    failures: list[EventFailure] = field(default_factory=list)

    def _touch(self, event: ChangeEvent) -> ChangeEvent:
        event.claimed_by, event.claimed_until = "", None
        self.changed[event.pk] = event
        return event

    def _attempt(self, event, success, code="", message="", http_status=None, duration_ms=0):
        self.attempts.append(
            DeliveryAttempt(
                event=event,
                success=success,
                status_code=code,
                message=message[:2000],
                http_status=http_status,
                duration_ms=duration_ms,
            )
        )

    def synced(self, events: list[ChangeEvent], salesforce_id: str = "", duration_ms: int = 0) -> None:
        now = timezone.now()
        *earlier, last = events
        for event in earlier:
            self._touch(event).status = Status.SUPERSEDED
            event.processed_at = now
        self._touch(last).status = Status.SYNCED
        last.processed_at = now
        last.attempts += 1
        last.last_status_code, last.last_message = "", ""
        if salesforce_id:
            for event in events:
                event.salesforce_id = salesforce_id
        self._attempt(last, True, duration_ms=duration_ms)
        self.summary.synced += 1
        self.summary.superseded += len(earlier)

    def superseded(self, events: list[ChangeEvent]) -> None:
        now = timezone.now()
        for event in events:
            self._touch(event).status = Status.SUPERSEDED
            event.processed_at = now
        self.summary.superseded += len(events)

    def attempt_failed(
        self, events: list[ChangeEvent], failure, payload: dict, duration_ms: int = 0
    ) -> ChangeEvent | None:
        """One attempt that failed: retried later (None) while it is transient and attempts remain, else the
        record fails (its root event is returned). The attempt is counted here, once."""
        first = events[0]
        first.attempts += 1
        self._attempt(first, False, failure.status_code, failure.message, failure.http_status, duration_ms)
        if failure.transient and first.attempts < settings.SCSYNC_MAX_ATTEMPTS:
            self._retry_later(events, failure)
            return None
        return self._failed(events, failure, payload)

    def _failed(self, events: list[ChangeEvent], failure, payload: dict) -> ChangeEvent:
        """The earliest event is the root failure; the record's later events are held behind it."""
        root, *later = events
        self._touch(root).status = Status.FAILED
        root.processed_at = timezone.now()
        root.last_status_code, root.last_message = failure.status_code, failure.message
        self.failures.append(
            EventFailure(root, failure.status_code, failure.message, list(failure.fields), failure.raw, payload)
        )
        self.summary.failed += 1
        self.held(later, root, HELD_BEHIND_RECORD, payload)
        return root

    def held(self, events: list[ChangeEvent], root: ChangeEvent, code: str, payload: dict | None = None) -> None:
        if code == HELD_BEHIND_RECORD:
            message = f"An earlier change of this record failed ({root.last_status_code}); fix that one first."
        else:
            message = (
                f"A parent record failed to sync ({root.sobject} {root.scid}: {root.last_status_code}); "
                "fix the parent first."
            )
        for event in events:
            self._touch(event).status = Status.HELD
            event.processed_at = timezone.now()
            event.blocked_by = root
            event.last_status_code, event.last_message = code, message
            self.failures.append(EventFailure(event, code, message, [], "", payload or {}, blocked_by=root))
        self.summary.held += len(events)

    def _retry_later(self, events: list[ChangeEvent], failure) -> None:
        """Back to pending with backoff."""
        when = timezone.now() + timedelta(seconds=backoff_seconds(events[0].attempts))
        for event in events:
            self._touch(event).status = Status.PENDING
            event.next_attempt_at = when
            event.last_status_code, event.last_message = failure.status_code, failure.message
        self.summary.retried += 1

    def defer(self, events: list[ChangeEvent], until=None) -> None:
        """Put events back untouched (a parent is still on its way, or another worker has the record)."""
        when = until or timezone.now() + timedelta(seconds=1)
        for event in events:
            self._touch(event).status = Status.PENDING
            event.next_attempt_at = when
        self.summary.deferred += len(events)

    def write(self) -> None:
        with transaction.atomic():
            update_rows(ChangeEvent, self.changed.values(), _FIELDS)
            DeliveryAttempt.objects.bulk_create(self.attempts, batch_size=1000)
            report_failures(self.failures)
        self.changed, self.attempts, self.failures = {}, [], []
