"""How the engine reports failed and held events without importing the console (imports point one way).

`syncerrors` registers a recorder in its AppConfig.ready(); the engine calls `report_failures()` once per
batch with every failure of that batch, roots before the events they hold. A failed side effect of a record
(a media import) is a `RecordProblem` instead: no outbox event, so nothing waits behind it; its app registers
how re-syncing it runs the side effect again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .models import ChangeEvent


@dataclass
class EventFailure:
    event: ChangeEvent
    status_code: str
    message: str
    fields: list[str] = field(default_factory=list)
    raw_response: str = ""
    payload: dict = field(default_factory=dict)
    blocked_by: ChangeEvent | None = None  # set for held events: the failed event they wait behind


def first_line(exc: BaseException) -> str:
    """An exception's message in one line (its first), or its type when it has none: for logs and error rows."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


FailureRecorder = Callable[[list[EventFailure]], None]
_recorders: list[FailureRecorder] = []


def register_failure_recorder(recorder: FailureRecorder) -> None:
    if recorder not in _recorders:
        _recorders.append(recorder)


def report_failures(failures: list[EventFailure]) -> None:
    """Mark the events as having had an error (retention keeps them longer) and hand the failures to the console."""
    if not failures:
        return
    for failure in failures:
        failure.event.had_error = True
    ChangeEvent.objects.filter(pk__in=[f.event.pk for f in failures]).update(had_error=True)
    ordered = sorted(failures, key=lambda f: f.blocked_by is not None)
    for recorder in _recorders:
        recorder(ordered)


EventsSettled = Callable[[list[int]], None]
_settled_handlers: list[EventsSettled] = []


def register_settled_handler(handler: EventsSettled) -> None:
    if handler not in _settled_handlers:
        _settled_handlers.append(handler)


def failures_settled(event_ids: list[int]) -> None:
    """These events' failures no longer stand (the record was restored in Salesforce, or deleted on both sides):
    the console resolves their open errors."""
    if event_ids:
        for handler in _settled_handlers:
            handler(list(event_ids))


@dataclass
class RecordProblem:
    """A side effect of a record that failed (a media import, say): a sync error of its own, with no outbox event,
    so it holds none of the record's changes back. Re-syncing it calls the re-run registered for its code."""

    org_id: int
    sobject: str
    scid: str
    status_code: str
    message: str
    store_id: int | None = None
    salesforce_id: str = ""
    fields: list[str] = field(default_factory=list)
    payload: dict = field(default_factory=dict)


ProblemRecorder = Callable[[RecordProblem], None]
ProblemResolver = Callable[[int, str, str, str], int]
Rerun = Callable[[int, str, str], bool]
_problem_recorders: list[tuple[ProblemRecorder, ProblemResolver]] = []
_reruns: dict[str, Rerun] = {}


def register_problem_recorder(recorder: ProblemRecorder, resolver: ProblemResolver) -> None:
    if (recorder, resolver) not in _problem_recorders:
        _problem_recorders.append((recorder, resolver))


def report_problem(problem: RecordProblem) -> None:
    for recorder, _ in _problem_recorders:
        recorder(problem)


def problems_solved(org_id: int, sobject: str, scid: str, status_code: str) -> None:
    """The side effect worked this time: its open problems of that record are resolved."""
    for _, resolver in _problem_recorders:
        resolver(org_id, sobject, scid, status_code)


def register_rerun(status_code: str, rerun: Rerun) -> None:
    """How re-syncing a problem with this code runs its side effect again: rerun(org_id, sobject, scid) -> queued."""
    _reruns[status_code] = rerun


def rerun_for(status_code: str) -> Rerun | None:
    return _reruns.get(status_code)
