"""One result type for everything Salesforce says: a status code, a message, fields, transient or not."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# Codes worth retrying as they are: the same request may succeed in a moment.
TRANSIENT_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",
        "SERVER_UNAVAILABLE",
        "HTTP_5XX",
        "CONNECTION_ERROR",
        "TIMEOUT",
        "INVALID_SESSION_ID",
        "REQUEST_LIMIT_EXCEEDED",
    }
)


@dataclass(frozen=True)
class SalesforceFailure:
    status_code: str
    message: str
    fields: tuple[str, ...] = ()
    http_status: int | None = None
    raw: str = ""

    @property
    def transient(self) -> bool:
        return self.status_code in TRANSIENT_CODES

    @classmethod
    def from_error_dict(cls, error: dict, http_status: int | None = None, raw: str = "") -> SalesforceFailure:
        """From a REST error (`errorCode`) or a Collections per-record error (`statusCode`)."""
        code = error.get("statusCode") or error.get("errorCode") or "UNKNOWN_EXCEPTION"
        return cls(
            status_code=code,
            message=error.get("message", ""),
            fields=tuple(error.get("fields") or ()),
            http_status=http_status,
            raw=raw or json.dumps(error),
        )


@dataclass(frozen=True)
class RecordResult:
    """The outcome for one record of a Collections call."""

    success: bool
    id: str | None = None
    created: bool | None = None
    errors: tuple[SalesforceFailure, ...] = field(default_factory=tuple)
    raw: dict = field(default_factory=dict)

    @property
    def error(self) -> SalesforceFailure | None:
        return self.errors[0] if self.errors else None

    @classmethod
    def from_collection_item(cls, item: dict) -> RecordResult:
        raw = json.dumps(item)
        return cls(
            success=bool(item.get("success")),
            id=item.get("id"),
            created=item.get("created"),
            errors=tuple(SalesforceFailure.from_error_dict(e, raw=raw) for e in item.get("errors") or ()),
            raw=item,
        )


class SalesforceCallError(Exception):
    """A whole call failed (HTTP error, lost connection, unparseable body)."""

    def __init__(self, failure: SalesforceFailure):
        super().__init__(f"{failure.status_code}: {failure.message}")
        self.failure = failure

    @property
    def transient(self) -> bool:
        return self.failure.transient


# A downstream row that carries only some of the object's fields (a Change Data Capture UPDATE): the applier keeps
# the record's values for the others.
PARTIAL = "_partial"
