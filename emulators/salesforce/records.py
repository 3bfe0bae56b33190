"""The org's records and how a write is checked: schema, lookups, picklists, unique fields, then the org's rules."""

from __future__ import annotations

import copy
import datetime
import json
import re
import threading
import time

from .changes import Change
from .errors import MultipleMatches, RequestError, WriteContext, WriteError  # noqa: F401 (re-exported)
from .ids import IdFactory, is_valid_id
from .recycle_bin import RecycleBin
from .rules import RuleBook
from .timeutil import format_ms, parse_datetime_literal

SYSTEM_FIELD_TYPES = {  # every record has these; the org sets them, describe lists them read-only
    "Id": "id",
    "IsDeleted": "boolean",
    "CreatedDate": "datetime",
    "LastModifiedDate": "datetime",
    "SystemModstamp": "datetime",
}
SYSTEM_FIELDS = tuple(SYSTEM_FIELD_TYPES)
DATETIME_FIELDS = {name for name, kind in SYSTEM_FIELD_TYPES.items() if kind == "datetime"}
TEXT_LENGTHS = {"string": 255, "textarea": 32768, "email": 80, "phone": 40, "url": 255, "picklist": 255}
NUMBER_TYPES = ("double", "currency", "int", "percent")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


USER_OBJECT = {  # every org has users: records own records, and SOQL reads Owner.Name through them
    "keyPrefix": "005",
    "label": "User",
    "custom": False,
    "fields": {
        "Username": {"type": "string", "length": 80},
        "FirstName": {"type": "string", "length": 40},
        "LastName": {"type": "string", "length": 80, "required": True},
        "Name": {"type": "string", "length": 121},
        "Email": {"type": "email", "length": 128},
        "Alias": {"type": "string", "length": 8},
        "IsActive": {"type": "boolean", "default": True},
    },
}


def relationship_name(lookup: str) -> str:
    if lookup.endswith("__c"):
        return lookup[:-3] + "__r"
    return lookup[:-2] if lookup.endswith("Id") else lookup


def plural(name: str) -> str:
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + ("es" if name.endswith(("s", "x", "ch", "sh")) else "s")


def child_relationship_name(child: str) -> str:
    """Contact -> Contacts, PricebookEntry -> PricebookEntries, Product_Variant__c -> Product_Variants__r."""
    return plural(child[:-3]) + "__r" if child.endswith("__c") else plural(child)


class Records:
    """All records of the org, by object and Id, with an index on External_ID__c."""

    def __init__(self, schema: dict, rules: RuleBook):
        self.lock = threading.RLock()
        self.schema = schema
        self.rules = rules
        schema["objects"].setdefault("User", copy.deepcopy(USER_OBJECT))
        self.by_object: dict[str, dict[str, dict]] = {name: {} for name in schema["objects"]}
        self.external: dict[tuple[str, str], set[str]] = {}
        self.ids = IdFactory()
        self.last_stamp = 0
        self.journal: list[Change] = []  # changes written since the last commit (OrgState.publish_changes)
        self._objects = {name.lower(): name for name in schema["objects"]}
        self._fields = {
            name: {f.lower(): f for f in [*obj["fields"], *SYSTEM_FIELDS]} for name, obj in schema["objects"].items()
        }
        self._children = self._child_relationships()
        self._seed_users()
        self.recycle_bin = RecycleBin(self)

    def field_types(self, sobject: str) -> dict[str, str]:
        """Every field's type, in the schema's order, then the system fields."""
        return {n: f["type"] for n, f in self.describe(sobject)["fields"].items()} | SYSTEM_FIELD_TYPES

    def field_type(self, sobject: str, name: str) -> str:
        """A field's type, system fields included (Id is "id")."""
        field = self.describe(sobject)["fields"].get(name)
        return field["type"] if field else SYSTEM_FIELD_TYPES[name]

    def _seed_users(self) -> None:
        users = self.schema.get("users", {})
        inactive = set(users.get("inactive", []))
        for number, user_id in enumerate([*users.get("active", []), *sorted(inactive)], start=1):
            name = "Integration User" if number == 1 else f"User {number}"
            self.by_object["User"].setdefault(
                user_id,
                {f: None for f in self.schema["objects"]["User"]["fields"]}
                | {
                    "Id": user_id,
                    "IsDeleted": False,
                    "CreatedDate": 0,
                    "LastModifiedDate": 0,
                    "SystemModstamp": 0,
                    "Username": f"user{number}@scsync.example",
                    "LastName": name.split()[-1],
                    "FirstName": name.split()[0],
                    "Name": name,
                    "Email": f"user{number}@scsync.example",
                    "Alias": f"user{number}",
                    "IsActive": user_id not in inactive,
                },
            )

    def set_user_active(self, user_id: str, active: bool) -> None:
        """Whether a user is active lives on their User record only (the schema's lists seed it)."""
        user = self.by_object["User"].get(user_id)
        if user is None:
            raise ValueError(f"no user {user_id!r}; the org's users are {sorted(self.by_object['User'])}")
        user["IsActive"] = active

    def _child_relationships(self) -> dict[str, dict[str, tuple[str, str]]]:
        """Per parent object, {relationship name: (child object, lookup field)}: a field's "childRelationship",
        else the child's plural for the first lookup from that child to that parent (none to User)."""
        out: dict[str, dict[str, tuple[str, str]]] = {name: {} for name in self.schema["objects"]}
        for child, obj in self.schema["objects"].items():
            for name, field in obj["fields"].items():
                parent = field.get("to")
                if (
                    field["type"] != "reference"
                    or field.get("readOnly")  # MasterRecordId names no child relationship
                    or parent not in out
                    or (parent == "User" and "childRelationship" not in field)
                ):
                    continue
                relationship = field.get("childRelationship") or child_relationship_name(child)
                out[parent].setdefault(relationship, (child, name))
        return out

    def canonical_object(self, name: str) -> str | None:
        """The object's name as defined, whatever the case it was written in (None: no such object)."""
        return self._objects.get(name.lower())

    def canonical_field(self, sobject: str, name: str) -> str | None:
        return self._fields[sobject].get(name.lower())

    def child_relationships(self, sobject: str) -> dict[str, tuple[str, str]]:
        return self._children.get(sobject, {})

    def canonical_relationship(self, sobject: str, name: str, children: bool = False) -> str | None:
        """A parent relationship (Account in Contact.Account.Name), or a child one (Contacts), as the schema spells
        it, whatever the case it was written in."""
        names = self.child_relationships(sobject) if children else self.relationships(sobject)
        return next((n for n in names if n.lower() == name.lower()), None)

    # --- schema ----------------------------------------------------------------------------------------------
    def describe(self, sobject: str) -> dict:
        try:
            return self.schema["objects"][sobject]
        except KeyError:
            raise RequestError(
                404, "NOT_FOUND", f"The requested resource does not exist: sObject type '{sobject}'"
            ) from None

    def relationships(self, sobject: str) -> dict[str, str]:
        fields = self.describe(sobject)["fields"]
        return {relationship_name(n): n for n, f in fields.items() if f["type"] == "reference"}

    # --- reading ---------------------------------------------------------------------------------------------
    def stamp(self) -> int:
        """A new SystemModstamp for one request: every record it writes shares it, as in a real org."""
        with self.lock:
            self.last_stamp = max(int(time.time() * 1000), self.last_stamp + 1)
            return self.last_stamp

    def get(self, sobject: str, record_id: str, include_deleted: bool = False) -> dict | None:
        record = self.by_object.get(sobject, {}).get(record_id)
        if record is None and len(record_id) == 15:
            record = next((r for i, r in self.by_object.get(sobject, {}).items() if i[:15] == record_id), None)
        if record is None or (record["IsDeleted"] and not include_deleted):
            return None
        return record

    def find(self, sobject: str, field: str, value) -> list[dict]:
        if field == "Id":
            record = self.get(sobject, str(value))
            return [record] if record else []
        match_key = self._match_key(sobject, field)
        if field == "External_ID__c":
            ids = self.external.get((sobject, match_key(value)), set())
            return [self.by_object[sobject][i] for i in sorted(ids) if not self.by_object[sobject][i]["IsDeleted"]]
        key = match_key(value)
        return [
            r
            for r in self.by_object[sobject].values()
            if not r["IsDeleted"] and r.get(field) is not None and match_key(r[field]) == key
        ]

    def _match_key(self, sobject: str, field: str):
        """How an external ID or unique value is matched: without regard to case, unless the field is caseSensitive."""
        spec = self.describe(sobject)["fields"].get(field)
        if spec is None:
            return str
        if spec["type"] in TEXT_LENGTHS and not spec.get("caseSensitive"):
            return lambda value: str(value).casefold()
        return lambda value: value

    def public(self, sobject: str, record: dict) -> dict:
        out = {"attributes": {"type": sobject, "url": f"/services/data/v59.0/sobjects/{sobject}/{record['Id']}"}}
        for name, value in record.items():
            out[name] = format_ms(value) if name in DATETIME_FIELDS else value
        return out

    # --- writing ---------------------------------------------------------------------------------------------
    def create(self, sobject: str, body: dict, ctx: WriteContext) -> dict:
        obj = self.describe(sobject)
        values = self._values(sobject, body)
        for name, field in obj["fields"].items():
            if name not in values and "default" in field:
                values[name] = field["default"]
        if "OwnerId" in obj["fields"]:  # not every object has an owner (a CampaignMember has none)
            values.setdefault("OwnerId", self.schema["users"]["active"][0])
        candidate = {f: None for f in obj["fields"]} | values
        self._check(sobject, candidate, None, set(values), ctx)
        record_id = self.ids.new(obj["keyPrefix"])
        record = {
            "Id": record_id,
            "IsDeleted": False,
            "CreatedDate": ctx.stamp,
            "LastModifiedDate": ctx.stamp,
            "SystemModstamp": ctx.stamp,
        } | candidate
        self.by_object[sobject][record_id] = record
        self._index(sobject, record)
        self._journal(ctx, sobject, "CREATE", record, record)
        return record

    def update(self, sobject: str, record_id: str, body: dict, ctx: WriteContext) -> dict:
        existing = self._existing(sobject, record_id)
        values = self._values(sobject, body)
        candidate = existing | values
        self._check(sobject, candidate, existing, set(values), ctx)
        changed = {name: value for name, value in values.items() if existing.get(name) != value}
        self._unindex(sobject, existing)
        existing.update(values)
        existing["LastModifiedDate"] = existing["SystemModstamp"] = ctx.stamp
        self._index(sobject, existing)
        self._journal(ctx, sobject, "UPDATE", existing, changed | {"LastModifiedDate": ctx.stamp})
        return existing

    def external_id_field(self, sobject: str, field: str) -> str:
        """The field an upsert or a lookup matches on: Id or an external ID field, else 404 as in Salesforce."""
        spec = self.describe(sobject)["fields"].get(field)
        if field != "Id" and not (spec and spec.get("externalId")):
            raise RequestError(
                404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}"
            )
        return field

    def upsert(self, sobject: str, field: str, value, body: dict, ctx: WriteContext) -> tuple[dict, bool]:
        self.external_id_field(sobject, field)
        body = {k: v for k, v in body.items() if k not in ("attributes", field)}
        matches = self.find(sobject, field, value)
        if len(matches) > 1:
            raise MultipleMatches([f"/services/data/v59.0/sobjects/{sobject}/{m['Id']}" for m in matches])
        if matches:
            return self.update(sobject, matches[0]["Id"], body, ctx), False
        if field == "Id":
            raise WriteError("NOT_FOUND", "Provided external ID field does not exist or is not accessible: Id")
        return self.create(sobject, body | {field: value}, ctx), True

    def delete(self, sobject: str, record_id: str, ctx: WriteContext) -> dict:
        """Into the Recycle Bin, with the children Salesforce deletes with it (recycle_bin.py)."""
        return self.recycle_bin.delete(sobject, record_id, ctx)

    def undelete(self, sobject: str, record_id: str, ctx: WriteContext) -> dict:
        return self.recycle_bin.undelete(sobject, record_id, ctx)

    def _journal(self, ctx: WriteContext, sobject: str, change_type: str, record: dict, values: dict) -> None:
        self.journal.append(Change(ctx.stamp, sobject, change_type, record["Id"], dict(values), ctx.origin))

    def take_journal(self) -> list[Change]:
        """The changes committed since the last call (a rolled-back transaction's are already gone)."""
        with self.lock:
            journal, self.journal = self.journal, []
        return journal

    def _existing(self, sobject: str, record_id: str) -> dict:
        if not is_valid_id(record_id or ""):
            raise WriteError("MALFORMED_ID", f"{sobject} ID: id value of incorrect type: {record_id}", ["Id"])
        record = self.by_object[sobject].get(record_id) or self.get(sobject, record_id, include_deleted=True)
        if record is None:
            raise WriteError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["Id"])
        if record["IsDeleted"]:
            raise WriteError("ENTITY_IS_DELETED", "entity is deleted", ["Id"])
        return record

    def _index(self, sobject, record):
        if record.get("External_ID__c") and not record["IsDeleted"]:
            key = (sobject, self._match_key(sobject, "External_ID__c")(record["External_ID__c"]))
            self.external.setdefault(key, set()).add(record["Id"])

    def _unindex(self, sobject, record):
        if record.get("External_ID__c"):
            key = (sobject, self._match_key(sobject, "External_ID__c")(record["External_ID__c"]))
            self.external.get(key, set()).discard(record["Id"])

    def _values(self, sobject: str, body: dict) -> dict:
        """The body's fields, lookups by external ID resolved to Ids; unknown fields are INVALID_FIELD."""
        fields = self.describe(sobject)["fields"]
        relationships = self.relationships(sobject)
        values = {}
        for key, value in body.items():
            if key in ("attributes", "Id", "id"):
                continue
            if key in relationships and isinstance(value, dict):
                values[relationships[key]] = self._resolve_reference(sobject, relationships[key], value)
            elif key not in fields:
                raise WriteError("INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject}", [key])
            elif fields[key].get("readOnly"):
                raise WriteError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {key}. Please check the security settings of this field.",
                    [key],
                )
            else:
                values[key] = _coerce(key, fields[key], value)
        return values

    def deserialise(self, sobject: str, body: dict) -> None:
        """What Salesforce's JSON reader refuses before anything is written: a value of the wrong shape or one its
        field's type cannot read (a date that is not a date). The whole request answers 400 JSON_PARSER_ERROR."""
        fields = self.describe(sobject)["fields"]
        relationships = self.relationships(sobject)
        for key, value in body.items():
            if key == "attributes" or (key in relationships and isinstance(value, dict)) or key not in fields:
                continue
            kind = fields[key]["type"]
            if not _readable(kind, value):
                token = {dict: "START_OBJECT", list: "START_ARRAY"}.get(type(value), "VALUE_STRING")
                raise RequestError(
                    400,
                    "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of {kind} from {token} value {json.dumps(value)} or request may be "
                    f"missing a required field: {key}",
                )

    def _resolve_reference(self, sobject: str, lookup: str, reference: dict) -> str:
        target = self.describe(sobject)["fields"][lookup]["to"]
        pairs = [(k, v) for k, v in reference.items() if k != "attributes"]
        if len(pairs) != 1:
            raise WriteError(
                "INVALID_FIELD", f"Foreign key reference for {lookup} must name exactly one field", [lookup]
            )
        field, value = pairs[0]
        matches = self.find(target, field, value)
        if not matches:
            raise WriteError(
                "INVALID_FIELD", f"Foreign key external ID: {value} not found for field {field} in entity {target}", []
            )
        return matches[0]["Id"]

    def _check(self, sobject: str, record: dict, existing: dict | None, written: set, ctx: WriteContext) -> None:
        fields = self.describe(sobject)["fields"]
        missing = [n for n, f in fields.items() if f.get("required") and record.get(n) in (None, "")]
        if missing and (existing is None or written & set(missing)):
            raise WriteError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
        for group in self.describe(sobject).get("requiredOneOf", []):  # a CampaignMember names a Contact or a Lead
            if all(record.get(n) in (None, "") for n in group) and (existing is None or written & set(group)):
                raise WriteError(
                    "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{' or '.join(group)}]", list(group)
                )
        for name in sorted(written):
            self._check_field(sobject, name, fields[name], record)
        for name, field in fields.items():
            if field.get("unique") and record.get(name) not in (None, ""):
                clash = [r for r in self.find(sobject, name, record[name]) if r["Id"] != record.get("Id")]
                if clash:
                    raise WriteError(
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {name} duplicates value on record with id: {clash[0]['Id']}",
                        [name],
                    )
        self.rules.check_write(self, sobject, record, existing, ctx)

    def _check_field(self, sobject: str, name: str, field: dict, record: dict) -> None:
        value = record.get(name)
        if value in (None, ""):
            return
        kind = field["type"]
        limit = field.get("length", TEXT_LENGTHS.get(kind))
        if limit and isinstance(value, str) and len(value) > limit:
            raise WriteError(
                "STRING_TOO_LONG",
                f"{field.get('label', name)}: data value too large: {value[:limit]}... (max length={limit})",
                [name],
            )
        if kind == "reference":
            target = field["to"]
            owner = self.get("User", str(value)) if target == "User" else None
            if owner is not None and not owner["IsActive"]:
                raise WriteError("CANNOT_REPARENT_RECORD", f"cannot reparent record: owner {value} is inactive", [name])
            if not is_valid_id(str(value)) or self.get(target, str(value)) is None:
                raise WriteError("INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}", [name])
        elif name.endswith(("StateCode", "CountryCode")):
            country_field = field.get("statecode_of")
            if country_field and not record.get(country_field):
                raise WriteError(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"A country/territory must be specified before specifying a state value for field: {name}",
                    [name],
                )
            if value not in field.get("values", []):
                label = "state" if country_field else "country/territory"
                raise WriteError(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"There's a problem with this {label}, even though it may appear correct. Please select a "
                    f"{label} from the list of valid {label}s.: {name}",
                    [name],
                )
        elif kind == "picklist" and field.get("restricted") and value not in field.get("values", []):
            raise WriteError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{name}: bad value for restricted picklist field: {value}",
                [name],
            )
        elif kind == "email" and not EMAIL.match(str(value)):
            raise WriteError("INVALID_EMAIL_ADDRESS", f"{name}: invalid email address: {value}", [name])

    # --- all or none -----------------------------------------------------------------------------------------
    def savepoint(self) -> tuple:
        return copy.deepcopy(self.by_object), copy.deepcopy(self.external), len(self.journal)

    def rollback(self, savepoint: tuple) -> None:
        self.by_object, self.external, journalled = savepoint
        del self.journal[journalled:]


def _readable(kind: str, value) -> bool:
    """Whether a value (from JSON or a CSV cell) can be read as this field type."""
    if value is None or value == "":
        return True
    if kind in NUMBER_TYPES:
        if isinstance(value, bool):
            return False
        try:
            float(value)
        except (TypeError, ValueError):
            return False
        return True
    if kind == "boolean":
        return isinstance(value, bool) or str(value).lower() in ("true", "false", "1", "0")
    if kind == "date":
        text = str(value)
        try:
            datetime.date.fromisoformat(text[:10])
        except ValueError:
            return False
        return len(text) == 10 or text[10] == "T"
    if kind == "datetime":
        try:
            parse_datetime_literal(str(value))
        except ValueError:
            return False
        return True
    return not isinstance(value, dict | list)


def _coerce(name: str, field: dict, value):
    if value is None:
        return None
    kind = field["type"]
    if not _readable(kind, value):
        raise WriteError("INVALID_TYPE_ON_FIELD_IN_RECORD", f"{name}: value not of required type: {value}", [name])
    if value == "" and kind not in TEXT_LENGTHS:
        return None
    if kind in NUMBER_TYPES:
        return float(value)
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1")
    if kind == "date":
        return str(value)[:10]
    return str(value) if not isinstance(value, str) else value
