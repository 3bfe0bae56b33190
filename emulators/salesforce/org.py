"""The emulated org's whole state: schema, records, rules, sessions, API usage and injected faults."""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from .bulk2 import BulkApi
from .changes import EventBus
from .ids import is_valid_id
from .query import QueryEngine
from .records import SYSTEM_FIELD_TYPES, TEXT_LENGTHS, Records, WriteError
from .rest import RestApi
from .rules import RuleBook

DEFAULT_SCHEMA = Path(__file__).with_name("default_schema.json")
FAULT_TYPES = {"http_5xx", "response_lost", "latency"}
SYSTEM_LABELS = {"IsDeleted": "Deleted"}  # Id is "<object label> ID"; the others read as label_for(name)
MASTER_RECORD_TYPE = {  # every object has the master record type; the emulated org has no others
    "active": True,
    "available": True,
    "defaultRecordTypeMapping": True,
    "developerName": "Master",
    "master": True,
    "name": "Master",
    "recordTypeId": "012000000000000AAA",
    "urls": {},
}


@dataclass
class Timings:
    """How long the org keeps things, as Salesforce does, and how long a bulk job stays InProgress."""

    query_locator_seconds: float = 15 * 60  # an idle query locator expires after 15 minutes
    open_query_locators: int = 10  # a user's 11th open locator releases the oldest
    bulk_job_seconds: float = 7 * 24 * 3600  # bulk jobs are deleted after 7 days
    bulk_in_progress_seconds: float = 0.25  # at least this long InProgress, so a client polls at least once
    event_retention_seconds: float = 72 * 3600  # change events are kept three days
    event_delay_seconds: float = 0  # a change event is delivered this long after its commit (a slow event bus)
    pubsub_keepalive_seconds: float = 270  # an idle subscription gets an empty FetchResponse this often


class OrgState:
    def __init__(self, schema: dict | None = None, rules: list[dict] | None = None, api_limit: int = 1_000_000):
        self.lock = threading.RLock()
        self.schema = schema or json.loads(DEFAULT_SCHEMA.read_text())
        self.rules = RuleBook(rules)
        self.api_max = api_limit
        self.api_used = 0
        self.sessions: set[str] = set()
        self.faults: list[dict] = []
        self.client_credentials: tuple[str, str] | None = None  # None: any client id/secret is accepted
        self.default_timings = Timings()
        self.timings = replace(self.default_timings)
        self.changes = EventBus(lambda: self.timings)
        self._new_records()

    def _new_records(self) -> None:
        self.records = Records(self.schema, self.rules)
        self.changes.schemas.forget_objects()
        self.queries = QueryEngine(self.records, self)
        self.bulk = BulkApi(self)
        self.rest = RestApi(self)

    def publish_changes(self) -> int:
        """Publish the change events of what was committed since the last call; returns how many."""
        return self.changes.publish(self.records.take_journal(), self.records)

    # --- sessions and usage -----------------------------------------------------------------------------------
    def new_session(self) -> str:
        session = "00D5g00000SCsync!" + secrets.token_urlsafe(48)
        with self.lock:
            self.sessions.add(session)
        return session

    def count_call(self) -> bool:
        """Count one API call; False when the daily limit is already reached."""
        with self.lock:
            if self.api_used >= self.api_max:
                return False
            self.api_used += 1
            return True

    def limits(self) -> dict:
        remaining = max(self.api_max - self.api_used, 0)
        return {
            "DailyApiRequests": {"Max": self.api_max, "Remaining": remaining},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
        }

    def take_fault(self, path: str) -> dict | None:
        """The next injected fault that applies to this path (consumed when it has a count)."""
        with self.lock:
            for fault in self.faults:
                if fault.get("path") and fault["path"] not in path:
                    continue
                if fault["type"] == "latency":
                    return fault
                if fault.get("count", 1) > 0:
                    fault["count"] = fault.get("count", 1) - 1
                    return fault
            return None

    # --- describe -------------------------------------------------------------------------------------------
    def describe_global(self) -> dict:
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [self.describe_object(name, brief=True) for name in self.schema["objects"]],
        }

    def describe_object(self, name: str, brief: bool = False) -> dict:
        obj = self.records.describe(name)
        out = {
            "name": name,
            "label": obj.get("label", name),
            "labelPlural": obj.get("labelPlural", obj.get("label", name) + "s"),
            "keyPrefix": obj["keyPrefix"],
            "custom": obj.get("custom", False),
            "queryable": True,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "urls": {
                "sobject": f"/services/data/v59.0/sobjects/{name}",
                "describe": f"/services/data/v59.0/sobjects/{name}/describe",
            },
        }
        if not brief:
            out["fields"] = [_describe_field(n, f) for n, f in obj["fields"].items()] + [
                {
                    "name": n,
                    "label": f"{obj.get('label', name)} ID" if n == "Id" else SYSTEM_LABELS.get(n, label_for(n)),
                    "type": t,
                    "createable": False,
                    "updateable": False,
                    "nillable": False,
                    "externalId": False,
                    "idLookup": n == "Id",
                }
                for n, t in SYSTEM_FIELD_TYPES.items()
            ]
            out["childRelationships"] = [
                {
                    "childSObject": child,
                    "field": lookup,
                    "relationshipName": relationship,
                    "cascadeDelete": False,
                    "restrictedDelete": False,
                    "deprecatedAndHidden": False,
                }
                for relationship, (child, lookup) in self.records.child_relationships(name).items()
            ]
            out["recordTypeInfos"] = [MASTER_RECORD_TYPE]
        return out

    def sobject_for_id(self, record_id: str) -> str:
        if not is_valid_id(record_id):
            raise WriteError("MALFORMED_ID", f"malformed id {record_id}", ["Id"])
        for name, obj in self.schema["objects"].items():
            if record_id.startswith(obj["keyPrefix"]):
                return name
        raise WriteError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["Id"])

    # --- persistence ----------------------------------------------------------------------------------------
    def dump(self) -> dict:
        with self.records.lock:
            return {
                "schema": self.schema,
                "rules": self.rules.public(),
                "records": self.records.by_object,
                "last_stamp": self.records.last_stamp,
                "id_counter": self.records.ids.peek(),
                "api": [self.api_max, self.api_used],
                "sessions": sorted(self.sessions),
            }

    def restore(self, data: dict) -> None:
        self.schema = data["schema"]
        self.rules = RuleBook(data.get("rules"))
        self._new_records()
        self.records.ids.reset(data.get("id_counter", 1))
        self.records.last_stamp = data.get("last_stamp", 0)
        for name, rows in data["records"].items():
            self.records.by_object[name] = rows
            for record in rows.values():
                self.records._index(name, record)
        self.api_max, self.api_used = data.get("api", [self.api_max, 0])
        self.sessions.update(data.get("sessions", []))


def label_for(name: str) -> str:
    """A field's label when the schema gives none: BillingStreet -> Billing Street, External_ID__c -> External ID."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.removesuffix("__c").replace("_", " "))
    words = re.sub(r"\bId$", "ID", words)
    return re.sub(r"\s+", " ", words).strip()


def _describe_field(name: str, field: dict) -> dict:
    out = {
        "name": name,
        "label": field.get("label") or label_for(name),
        "type": field["type"],
        "length": field.get("length", TEXT_LENGTHS.get(field["type"], 0)),
        "updateable": not field.get("readOnly"),
        "createable": not field.get("readOnly"),
        "nillable": not field.get("required", False),
        "externalId": bool(field.get("externalId")),
        "idLookup": bool(field.get("externalId") or field.get("unique")),
        "caseSensitive": bool(field.get("caseSensitive")),
        "nameField": name == "Name",
        "calculated": False,
        "unique": bool(field.get("unique")),
        "restrictedPicklist": bool(field.get("restricted")),
        "picklistValues": [{"value": v, "label": v, "active": True} for v in field.get("values", [])],
        "referenceTo": [field["to"]] if field.get("to") else [],
    }
    if field["type"] == "reference":
        out["relationshipName"] = name[:-3] + "__r" if name.endswith("__c") else name[:-2]
    return out
