"""The control interface, as a Python API and as HTTP under /_emulator/ (a path no real org has).

HTTP: GET /_emulator/<method>?name=value for the reading methods (rules, records, call_count), POST
/_emulator/<method> with a JSON object of keyword arguments for every method. Answers {"result": ...}, 400
{"error": "..."} for bad arguments, 404 for an unknown method and 405 for a GET of a method that changes the org.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import asdict, fields, replace

from .org import FAULT_TYPES, OrgState, Timings
from .records import WriteContext, WriteError
from .rest import Response
from .rules import RuleError, public

READ_METHODS = {"rules", "records", "call_count", "open_query_locators"}
HTTP_METHODS = READ_METHODS | {
    "reset",
    "load_schema",
    "load_rules",
    "add_rule",
    "remove_rule",
    "clear_rules",
    "inject_fault",
    "clear_faults",
    "expire_sessions",
    "set_api_limit",
    "create_records",
    "update_records",
    "delete_records",
    "undelete_records",
    "merge_records",
    "drop_change_streams",
    "deactivate_user",
    "new_session",
    "set_timings",
}


def _query_arguments(query: dict[str, str]) -> dict:
    """Query-string arguments of a GET: true / false become booleans, everything else stays text."""
    return {key: {"true": True, "false": False}.get(value.lower(), value) for key, value in query.items()}


class Control:
    def __init__(self, org: OrgState):
        self.org = org

    def reset(self) -> None:
        """Empty the org: no records, rules, faults; API usage back to 0; sessions kept."""
        with self.org.lock:
            self.org.rules.clear()
            self.org._new_records()
            self.org.changes.reset()
            self.org.faults = []
            self.org.api_used = 0
            self.org.api_max = 1_000_000
            self.org.timings = replace(self.org.default_timings)

    def set_timings(self, **timings) -> dict:
        """Change how long query locators, bulk jobs and change events live, how long a bulk job stays InProgress,
        how late change events are delivered and how often an idle subscription hears a keepalive (reset puts the
        defaults back): query_locator_seconds, open_query_locators, bulk_job_seconds, bulk_in_progress_seconds,
        event_retention_seconds, event_delay_seconds, pubsub_keepalive_seconds."""
        known = {f.name for f in fields(Timings)}
        unknown = sorted(set(timings) - known)
        if unknown:
            raise ValueError(f"unknown timings {unknown}; expected some of {sorted(known)}")
        for name, value in timings.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a number of at least 0, not {value!r}")
        with self.org.lock:
            self.org.timings = replace(self.org.timings, **timings)
            return asdict(self.org.timings)

    def open_query_locators(self) -> int:
        """How many query locators the org holds (each keeps a query's pages until drained or expired)."""
        return self.org.queries.open_locators()

    def load_schema(self, schema: dict) -> None:
        with self.org.lock:
            self.org.schema = schema
            self.org._new_records()

    def load_rules(self, rules: list[dict]) -> None:
        self.org.rules.clear()
        for rule in rules:
            self.add_rule(rule)

    def add_rule(self, rule: dict) -> dict:
        return public(self.org.rules.add(rule))

    def remove_rule(self, name: str) -> dict:
        """Remove the rule with this name (every rule has one: given, or made when it was added)."""
        return self.org.rules.remove(name)

    def clear_rules(self) -> None:
        self.org.rules.clear()

    def rules(self) -> list[dict]:
        return self.org.rules.public()

    def records(self, sobject: str, include_deleted: bool = False) -> list[dict]:
        """Copies of an object's records, in creation order, timestamps formatted as the API does."""
        records = self.org.records
        with records.lock:
            rows = list(records.by_object[sobject].values())
        return [records.public(sobject, r) for r in rows if include_deleted or not r["IsDeleted"]]

    def call_count(self) -> int:
        return self.org.api_used

    def inject_fault(self, fault: dict) -> None:
        """{"type": "http_5xx", "count": N, "status": 503} | {"type": "response_lost", "count": N} |
        {"type": "latency", "ms": 50}; an optional "path" limits it to URLs containing that text."""
        if fault.get("type") not in FAULT_TYPES:
            raise ValueError(f"unknown fault type {fault.get('type')!r}; expected one of {sorted(FAULT_TYPES)}")
        with self.org.lock:
            self.org.faults.append(dict(fault))

    def clear_faults(self) -> None:
        with self.org.lock:
            self.org.faults = []

    def expire_sessions(self) -> None:
        """Every session becomes invalid (the next call answers 401 INVALID_SESSION_ID)."""
        with self.org.lock:
            self.org.sessions.clear()

    def new_session(self) -> str:
        return self.org.new_session()

    def set_api_limit(self, max: int | None = None, remaining: int | None = None) -> None:  # noqa: A002
        with self.org.lock:
            if max is not None:
                self.org.api_max = max
            if remaining is not None:
                self.org.api_used = builtins.max(self.org.api_max - remaining, 0)

    def deactivate_user(self, user_id: str | None = None) -> str:
        """Make a user inactive (default: the default owner), so writes owned by them fail CANNOT_REPARENT_RECORD."""
        user_id = user_id or self.org.schema["users"]["active"][0]
        with self.org.records.lock:
            self.org.records.set_user_active(user_id, False)
        return user_id

    def create_records(self, sobject: str, records: list[dict], committed_late_by_seconds: float = 0) -> list[str]:
        """Write records as if a person did it in the org (not counted as API calls; rules still apply).

        `committed_late_by_seconds`: the write's transaction commits that long after its SystemModstamp (a long
        trigger or flow), so the rows become visible with a stamp that far in the past, as in a real org.
        """
        store = self.org.records
        with store.lock:
            ctx = WriteContext(stamp=self._stamp(committed_late_by_seconds), allow_duplicates=True)
            ids = [store.create(sobject, body, ctx)["Id"] for body in records]
        self.org.publish_changes()
        return ids

    def _stamp(self, committed_late_by_seconds: float) -> int:
        late = float(committed_late_by_seconds)
        if late < 0:
            raise ValueError("committed_late_by_seconds cannot be negative")
        return self.org.records.stamp() - int(late * 1000)

    def update_records(self, sobject: str, updates: dict[str, dict], committed_late_by_seconds: float = 0) -> None:
        store = self.org.records
        with store.lock:
            ctx = WriteContext(stamp=self._stamp(committed_late_by_seconds), allow_duplicates=True)
            for record_id, body in updates.items():
                store.update(sobject, record_id, body, ctx)
        self.org.publish_changes()

    def delete_records(self, sobject: str, ids: list[str]) -> None:
        store = self.org.records
        with store.lock:
            ctx = WriteContext(stamp=store.stamp())
            for record_id in ids:
                store.delete(sobject, record_id, ctx)
        self.org.publish_changes()

    def undelete_records(self, sobject: str, ids: list[str]) -> None:
        """Restore deleted records from the Recycle Bin, as a person does in the org (UNDELETE change events)."""
        store = self.org.records
        with store.lock:
            ctx = WriteContext(stamp=store.stamp())
            for record_id in ids:
                store.undelete(sobject, record_id, ctx)
        self.org.publish_changes()

    def merge_records(self, sobject: str, winner: str, losers: list[str], values: dict | None = None) -> dict:
        """Merge records as a person does in the org: the losers' children move to the winner, the losers are
        deleted with MasterRecordId set (DELETE change events), the winner keeps `values` (an UPDATE event)."""
        store = self.org.records
        with store.lock:
            ctx = WriteContext(stamp=store.stamp(), allow_duplicates=True)
            merged = store.recycle_bin.merge(sobject, winner, list(losers), dict(values or {}), ctx)
        self.org.publish_changes()
        return store.public(sobject, merged)

    def drop_change_streams(self, refuse_for_seconds: float = 0) -> None:
        """End every open Pub/Sub subscription now (UNAVAILABLE), and refuse new ones for that many seconds."""
        if not isinstance(refuse_for_seconds, int | float) or refuse_for_seconds < 0:
            raise ValueError(f"refuse_for_seconds must be a number of at least 0, not {refuse_for_seconds!r}")
        self.org.changes.drop(refuse_for_seconds)

    def handle_http(self, method: str, name: str, body: bytes, query: dict[str, str] | None = None) -> Response:
        name = name.strip("/")
        if name not in HTTP_METHODS:
            return Response(404, {"error": f"unknown control method {name!r}", "methods": sorted(HTTP_METHODS)})
        if method == "GET" and name not in READ_METHODS:
            return Response(405, {"error": f"{name} changes the org: use POST /_emulator/{name} with JSON arguments"})
        try:
            kwargs = _query_arguments(query or {}) if method == "GET" else json.loads(body or b"{}")
            if not isinstance(kwargs, dict):
                raise ValueError("the body must be a JSON object of keyword arguments")
            result = getattr(self, name)(**kwargs)
        except (TypeError, ValueError, KeyError, RuleError) as exc:
            return Response(400, {"error": str(exc)})
        except WriteError as exc:
            return Response(400, {"error": exc.message, "statusCode": exc.code})
        return Response(200, {"result": result})
