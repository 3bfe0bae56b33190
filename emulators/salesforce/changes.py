"""Change Data Capture: the org's change events, as Salesforce publishes them on the Pub/Sub API.

Every committed create, update, delete and undelete becomes a change event on `/data/ChangeEvents` and
`/data/<Object>ChangeEvent` (`/data/Product_Variant__ChangeEvent` for a custom object). The same change made to
several records of one object in one transaction is one event naming them all in `recordIds`, as Salesforce
merges them. Payloads are Avro records written with the object's schema (GetSchema): the ChangeEventHeader first,
then every field of the object as a nullable union. An UPDATE carries only the fields it changed, listed by
position in the `changedFields` bitmap; fields set to null are in `nulledFields`. Replay ids are 8 bytes,
big-endian, increasing; events older than the retention are gone, and a subscription resuming before them is
refused. Fields are flat here: a real org nests compound fields (Name, BillingAddress) in records.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import fastavro

from .ids import USER_ID

CHANGE_TYPES = [
    "CREATE",
    "UPDATE",
    "DELETE",
    "UNDELETE",
    "GAP_CREATE",
    "GAP_UPDATE",
    "GAP_DELETE",
    "GAP_UNDELETE",
    "GAP_OVERFLOW",
]
ALL_CHANGES = "/data/ChangeEvents"
LEFT_OUT = ("Id", "IsDeleted", "SystemModstamp")  # the header names the records; the others are not published
HEADER = {
    "type": "record",
    "name": "ChangeEventHeader",
    "namespace": "com.sforce.eventbus",
    "fields": [
        {"name": "entityName", "type": "string"},
        {"name": "recordIds", "type": {"type": "array", "items": "string"}},
        {"name": "changeType", "type": {"type": "enum", "name": "ChangeType", "symbols": CHANGE_TYPES}},
        {"name": "changeOrigin", "type": "string"},
        {"name": "transactionKey", "type": "string"},
        {"name": "sequenceNumber", "type": "int"},
        {"name": "commitTimestamp", "type": "long"},
        {"name": "commitNumber", "type": "long"},
        {"name": "commitUser", "type": "string"},
        {"name": "nulledFields", "type": {"type": "array", "items": "string"}},
        {"name": "diffFields", "type": {"type": "array", "items": "string"}},
        {"name": "changedFields", "type": {"type": "array", "items": "string"}},
    ],
}
EPOCH = datetime.date(1970, 1, 1)
AVRO_TYPES = {"double": "double", "currency": "double", "percent": "double", "int": "int", "boolean": "boolean"}


def event_name(sobject: str) -> str:
    """Account -> AccountChangeEvent; Product_Variant__c -> Product_Variant__ChangeEvent."""
    return sobject.removesuffix("__c") + "__ChangeEvent" if sobject.endswith("__c") else sobject + "ChangeEvent"


def topic_of(sobject: str) -> str:
    return f"/data/{event_name(sobject)}"


@dataclass
class Change:
    """One record's change inside a transaction, journalled by Records as it is written."""

    stamp: int
    sobject: str
    change_type: str
    record_id: str
    values: dict  # CREATE/UNDELETE: the record's fields; UPDATE: the changed ones; DELETE: none
    origin: str = ""


@dataclass
class Event:
    replay: int
    sobject: str
    schema_id: str
    payload: bytes
    visible_at: float
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def replay_id(self) -> bytes:
        return replay_bytes(self.replay)


def replay_bytes(replay: int) -> bytes:
    return replay.to_bytes(8, "big")


def replay_number(replay_id: bytes) -> int | None:
    """The replay id's number, or None when it is not one of this org's (wrong length)."""
    return int.from_bytes(replay_id, "big") if len(replay_id) == 8 else None


class Schemas:
    """Each object's change event schema, made on first use and kept by schema id (GetSchema)."""

    def __init__(self):
        self.by_id: dict[str, dict] = {}
        self._parsed: dict[str, object] = {}
        self._of_object: dict[str, tuple[str, dict[str, str]]] = {}

    def forget_objects(self) -> None:
        """The org's schema changed: make each object's schema again (old schema ids still answer GetSchema)."""
        self._of_object.clear()

    def of(self, sobject: str, records) -> tuple[str, dict[str, str]]:
        """The schema id of an object's change events and its fields' types, in the schema's order (made from the
        org's `records.field_types` the first time)."""
        if sobject not in self._of_object:
            kinds = {name: kind for name, kind in records.field_types(sobject).items() if name not in LEFT_OUT}
            schema = {
                "type": "record",
                "name": event_name(sobject),
                "namespace": "com.sforce.eventbus",
                "fields": [
                    {"name": "ChangeEventHeader", "type": HEADER},
                    *(_avro_field(name, kind) for name, kind in kinds.items()),
                ],
            }
            text = json.dumps(schema, sort_keys=True)
            schema_id = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()[:16]).decode().rstrip("=")
            self.by_id[schema_id] = schema
            self._parsed[schema_id] = fastavro.parse_schema(schema)
            self._of_object[sobject] = (schema_id, kinds)
        return self._of_object[sobject]

    def encode(self, schema_id: str, record: dict) -> bytes:
        out = io.BytesIO()
        fastavro.schemaless_writer(out, self._parsed[schema_id], record)
        return out.getvalue()


def _avro_field(name: str, kind: str) -> dict:
    if kind == "datetime":
        return {"name": name, "type": ["null", "long"], "doc": "Data:DateTime", "default": None}
    if kind == "date":
        return {"name": name, "type": ["null", "int"], "doc": "Data:Date", "default": None}
    return {"name": name, "type": ["null", AVRO_TYPES.get(kind, "string")], "default": None}


def _bitmap(positions: list[int]) -> list[str]:
    """Field positions as Salesforce writes them: one hex number, bit i for the schema's field i."""
    return [hex(sum(1 << p for p in positions))] if positions else []


def _avro_value(kind: str, value):
    if value is None:
        return None
    if kind == "date":
        return (datetime.date.fromisoformat(value) - EPOCH).days
    if kind == "int":
        return int(value)
    if AVRO_TYPES.get(kind) == "double":
        return float(value)
    return value


class EventBus:
    """The org's change event stream: publish committed changes, read them after a replay id, drop streams."""

    def __init__(self, timings):
        self.timings = timings  # a callable returning the org's current Timings
        self.condition = threading.Condition()
        self.events: list[Event] = []
        self.next_replay = 1
        self.gone_through = 0  # replay ids up to this one are past retention
        self.schemas = Schemas()
        self.drops = 0  # every drop ends the streams open at that moment
        self.refuse_until = 0.0

    def reset(self) -> None:
        with self.condition:
            self.events, self.gone_through = [], self.next_replay - 1
            self.refuse_until = 0.0
            self.drops += 1
            self.condition.notify_all()

    def latest(self) -> int:
        return self.next_replay - 1

    def latest_visible(self) -> int:
        """The newest replay id a subscriber may have been sent (a delayed event is not delivered yet)."""
        now = time.monotonic()
        return next((e.replay for e in reversed(self.events) if e.visible_at <= now), self.gone_through)

    def publish(self, changes: list[Change], records) -> int:
        """Turn committed changes into events (merging as Salesforce does) and wake the subscribers."""
        if not changes:
            return 0
        delay = self.timings().event_delay_seconds
        made = []
        for transaction in _transactions(changes):
            key = str(uuid.uuid4())
            for sequence, (change, record_ids) in enumerate(_merged(transaction), start=1):
                schema_id, kinds = self.schemas.of(change.sobject, records)
                values = {n: _avro_value(kind, change.values.get(n)) for n, kind in kinds.items()}
                changed, nulled = [], []
                if change.change_type == "UPDATE":
                    changed = [i + 1 for i, n in enumerate(kinds) if n in change.values]
                    nulled = [i + 1 for i, n in enumerate(kinds) if n in change.values and change.values[n] is None]
                header = {
                    "entityName": change.sobject,
                    "recordIds": record_ids,
                    "changeType": change.change_type,
                    "changeOrigin": change.origin,
                    "transactionKey": key,
                    "sequenceNumber": sequence,
                    "commitTimestamp": change.stamp,
                    "commitNumber": change.stamp * 1000 + sequence,
                    "commitUser": USER_ID,
                    "nulledFields": _bitmap(nulled),
                    "diffFields": [],
                    "changedFields": _bitmap(changed),
                }
                payload = self.schemas.encode(schema_id, {"ChangeEventHeader": header, **values})
                made.append((change.sobject, schema_id, payload))
        with self.condition:
            now = time.monotonic()
            for sobject, schema_id, payload in made:
                self.events.append(Event(self.next_replay, sobject, schema_id, payload, now + delay))
                self.next_replay += 1
            self._prune()
            self.condition.notify_all()
        return len(made)

    def _prune(self) -> None:
        """Forget the events older than the retention (the oldest come first)."""
        horizon = time.monotonic() - self.timings().event_retention_seconds
        expired = 0
        while expired < len(self.events) and self.events[expired].visible_at < horizon:
            expired += 1
        if expired:
            self.gone_through = self.events[expired - 1].replay
            del self.events[:expired]

    def after(self, replay: int, topic: str, limit: int) -> list[Event]:
        """Up to `limit` visible events after this replay number on a topic (call with the condition held)."""
        self._prune()
        now = time.monotonic()
        out = []
        start = max(replay + 1 - self.events[0].replay, 0) if self.events else 0  # replay ids are consecutive
        for event in itertools.islice(self.events, start, None):
            if event.visible_at > now:
                break  # a delayed event holds back the ones after it: order is kept
            if topic != ALL_CHANGES and topic != topic_of(event.sobject):
                continue
            out.append(event)
            if len(out) >= limit:
                break
        return out

    def drop(self, refuse_for_seconds: float = 0) -> None:
        """End every open stream now; new subscriptions are refused for that long."""
        with self.condition:
            self.drops += 1
            self.refuse_until = time.monotonic() + refuse_for_seconds
            self.condition.notify_all()

    def refusing(self) -> bool:
        return time.monotonic() < self.refuse_until


def _transactions(changes: list[Change]) -> list[list[Change]]:
    groups: dict[int, list[Change]] = {}
    for change in changes:
        groups.setdefault(change.stamp, []).append(change)
    return list(groups.values())


def _merged(transaction: list[Change]) -> list[tuple[Change, list[str]]]:
    """The same change to several records of one object in one transaction is one event naming them all."""
    out: list[tuple[Change, list[str]]] = []
    index: dict[tuple, int] = {}
    for change in transaction:
        if change.change_type in ("CREATE", "UNDELETE"):
            out.append((change, [change.record_id]))  # each new record has its own values
            continue
        key = (change.sobject, change.change_type, json.dumps(change.values, sort_keys=True, default=str))
        if key in index:
            out[index[key]][1].append(change.record_id)
        else:
            index[key] = len(out)
            out.append((change, [change.record_id]))
    return out
