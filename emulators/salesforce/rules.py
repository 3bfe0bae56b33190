"""The org's automation, as data: rules that make writes fail the way real orgs do, with the exact status codes.

A rule is a dict with a "type" and an "object"; "condition" is a SOQL WHERE expression over the record as it
would be saved (e.g. "LastName = 'Invalid' AND Email = null"); "name" identifies it (to remove it), and names the
flow, trigger or template in the messages that mention one; without one it is named "<type>-<object>-<n>". Types:

| type | status code |
|---|---|
| validation (message, field) | FIELD_CUSTOM_VALIDATION_EXCEPTION |
| duplicate (fields) | DUPLICATES_DETECTED, unless Sforce-Duplicate-Rule-Header allowSave=true |
| bounced | EMAIL_ADDRESS_BOUNCED for a contact whose IsEmailBounced is true |
| locked | ENTITY_IS_LOCKED for updates and deletes of matching records |
| order_activation | FAILED_ACTIVATION when an Order becomes Activated without items |
| flow (message) | CANNOT_EXECUTE_FLOW_TRIGGER |
| apex (message) | CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY |
| email_template (message) | EMAIL_TEMPLATE_MERGEFIELD_ERROR |
| unknown (message) | UNKNOWN_EXCEPTION |
| row_lock (next_writes N, or rate 0..1 with seed) | UNABLE_TO_LOCK_ROW |

Schema checks (REQUIRED_FIELD_MISSING, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, FIELD_INTEGRITY_EXCEPTION,
INVALID_EMAIL_ADDRESS, DUPLICATE_VALUE, INVALID_CROSS_REFERENCE_KEY, CANNOT_REPARENT_RECORD for an inactive
owner, INVALID_FIELD) need no rule.
"""

from __future__ import annotations

import random
import threading

from .errors import WriteError
from .soql import SoqlError, evaluate, parse_condition

GENERIC = {
    "flow": (
        "CANNOT_EXECUTE_FLOW_TRIGGER",
        "We can't save this record because the “{name}” process failed. Give your Salesforce admin these details. "
        "This error occurred when the flow tried to update records: FIELD_CUSTOM_VALIDATION_EXCEPTION.",
    ),
    "apex": (
        "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
        "{name}: execution of BeforeInsert caused by: System.DmlException: Insert failed.",
    ),
    "email_template": (
        "EMAIL_TEMPLATE_MERGEFIELD_ERROR",
        "Invalid merge field in email template “{name}”: {{!Contact.Loyalty_Tier__c}}",
    ),
    "unknown": ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId: 1234567890-1234."),
}
RULE_TYPES = {"validation", "duplicate", "bounced", "locked", "order_activation", "row_lock", *GENERIC}


def public(rule: dict) -> dict:
    """A rule as the control API shows it: without the parsed condition and other private keys."""
    return {k: v for k, v in rule.items() if not k.startswith("_")}


class RuleError(ValueError):
    """A rule that cannot be loaded: the control API answers 400 with this message."""


class RuleBook:
    def __init__(self, rules: list[dict] | None = None):
        self._lock = threading.Lock()
        self.rules: list[dict] = []
        self._added = 0
        for rule in rules or []:
            self.add(rule)

    def add(self, rule: dict) -> dict:
        rule = dict(rule)
        if rule.get("type") not in RULE_TYPES:
            raise RuleError(f"unknown rule type {rule.get('type')!r}; expected one of {sorted(RULE_TYPES)}")
        if "object" not in rule and rule["type"] != "order_activation":
            raise RuleError("a rule needs an 'object'")
        try:
            rule["_condition"] = parse_condition(rule["condition"]) if rule.get("condition") else None
        except SoqlError as exc:
            raise RuleError(f"bad condition {rule['condition']!r}: {exc}") from exc
        if rule["type"] == "row_lock" and "rate" in rule:
            rule["_random"] = random.Random(rule.get("seed", 0))
        with self._lock:
            self._added += 1
            rule["_named"] = "name" in rule
            rule.setdefault("name", f"{rule['type']}-{rule.get('object', 'Order').lower()}-{self._added}")
            if any(r["name"] == rule["name"] for r in self.rules):
                raise RuleError(f"a rule named {rule['name']!r} exists already; remove it first or pick another name")
            self.rules.append(rule)
        return rule

    def remove(self, name: str) -> dict:
        """Remove the rule named `name`; returns it. RuleError when there is none."""
        with self._lock:
            for rule in self.rules:
                if rule["name"] == name:
                    self.rules.remove(rule)
                    return public(rule)
        names = ", ".join(r["name"] for r in self.rules) or "none"
        raise RuleError(f"no rule is named {name!r}; the rules are: {names}")

    def clear(self) -> None:
        with self._lock:
            self.rules, self._added = [], 0

    def public(self) -> list[dict]:
        return [public(r) for r in self.rules]

    def _matching(self, sobject: str, record: dict, kinds) -> list[dict]:
        return [
            r
            for r in self.rules
            if r["type"] in kinds and r.get("object", "Order") == sobject and evaluate(r["_condition"], record.get)
        ]

    def check_write(self, records, sobject: str, record: dict, existing: dict | None, ctx) -> None:
        self._check_row_lock(sobject, record)
        if existing is not None:
            for rule in self._matching(sobject, existing, {"locked"}):
                raise WriteError("ENTITY_IS_LOCKED", rule.get("message", "the entity is locked for editing"))
        for rule in self._matching(sobject, record, {"validation"}):
            raise WriteError(
                "FIELD_CUSTOM_VALIDATION_EXCEPTION", rule["message"], [rule["field"]] if "field" in rule else []
            )
        if self._matching(sobject, record, {"bounced"}):
            if record.get("IsEmailBounced"):
                raise WriteError("EMAIL_ADDRESS_BOUNCED", f"Email address is bounced: {record.get('Email')}", ["Email"])
        for rule in self._matching(sobject, record, set(GENERIC)):
            code, template = GENERIC[rule["type"]]
            raise WriteError(
                code, rule.get("message") or template.format(name=rule["name"] if rule["_named"] else "Store Sync")
            )
        if not ctx.allow_duplicates:
            self._check_duplicates(records, sobject, record)
        self._check_activation(records, sobject, record, existing)

    def check_delete(self, records, sobject: str, record: dict) -> None:
        self._check_row_lock(sobject, record)
        for rule in self._matching(sobject, record, {"locked"}):
            raise WriteError("ENTITY_IS_LOCKED", rule.get("message", "the entity is locked for editing"))

    def _check_row_lock(self, sobject: str, record: dict) -> None:
        with self._lock:
            for rule in self._matching(sobject, record, {"row_lock"}):
                hit = False
                if rule.get("next_writes", 0) > 0:
                    rule["next_writes"] -= 1
                    hit = True
                elif "_random" in rule:
                    hit = rule["_random"].random() < rule["rate"]
                if hit:
                    raise WriteError(
                        "UNABLE_TO_LOCK_ROW",
                        f"unable to obtain exclusive access to this record or 1 records: {record.get('Id') or ''}",
                    )

    def _check_duplicates(self, records, sobject: str, record: dict) -> None:
        for rule in self._matching(sobject, record, {"duplicate"}):
            keys = rule["fields"]
            if any(record.get(k) in (None, "") for k in keys):
                continue
            for other in records.by_object[sobject].values():
                if other["Id"] != record.get("Id") and not other["IsDeleted"]:
                    if all(str(other.get(k)).lower() == str(record.get(k)).lower() for k in keys):
                        raise WriteError(
                            "DUPLICATES_DETECTED",
                            rule.get("message", "Use one of these records?"),
                            [],
                        )

    def _check_activation(self, records, sobject: str, record: dict, existing: dict | None) -> None:
        if sobject != "Order" or record.get("Status") != "Activated":
            return
        if existing is not None and existing.get("Status") == "Activated":
            return
        if not self._matching("Order", record, {"order_activation"}):
            return
        items = [i for i in records.by_object.get("OrderItem", {}).values() if i.get("OrderId") == record.get("Id")]
        if not any(not i["IsDeleted"] for i in items):
            raise WriteError("FAILED_ACTIVATION", "Can't activate an order with no products.", ["Status"])
