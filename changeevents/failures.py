"""How the engine reports failed and held events without importing the console (imports point one way).

`syncerrors` registers a recorder in its AppConfig.ready(); the engine calls `report_failures()` once per
batch with every failure of that batch, roots before the events they hold.
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
