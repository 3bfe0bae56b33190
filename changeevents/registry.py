"""The sync mapping registry: which model syncs with which Salesforce object, field by field.

`storefront` registers its models here (like `admin.site.register`); this module never imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models

EXTERNAL_ID_FIELD = "External_ID__c"
STORE_FIELD = "Store__c"  # the name of the store a record belongs to (mappings with sends_store)
CURRENCY_FIELD = "CurrencyIsoCode"  # its store's currency, where the org is multi-currency
MASTER_RECORD_FIELD = "MasterRecordId"  # on a record deleted by a merge: the record it was merged into


class Direction(StrEnum):
    UPSTREAM = "up"
    DOWNSTREAM = "down"
    BOTH = "both"


class ScheduleGroup(StrEnum):
    """How often the downstream poll reads an object: every few seconds, or every 10 minutes."""

    REALTIME = "realtime"
    TEN_MINUTES = "ten_minutes"


@dataclass(frozen=True)
class ParentLink:
    """A foreign key sent as a Salesforce lookup, by the parent's external ID."""

    field: str  # the model's ForeignKey name, e.g. "account"
    lookup: str  # the Salesforce lookup field, e.g. "AccountId"
    sobject: str  # the parent's Salesforce object, e.g. "Account"

    @property
    def relationship(self) -> str:
        """The relationship name used for external-id references: AccountId -> Account, Product__c -> Product__r."""
        if self.lookup.endswith("__c"):
            return self.lookup[:-3] + "__r"
        return self.lookup[:-2] if self.lookup.endswith("Id") else self.lookup


@dataclass(frozen=True)
class SyncMapping:
    model: type[models.Model]
    sobject: str
    fields: dict[str, str]  # model field name -> Salesforce field name (parents excluded)
    parents: tuple[ParentLink, ...] = ()
    direction: Direction = Direction.BOTH
    schedule: ScheduleGroup = ScheduleGroup.REALTIME
    store_path: str | None = None  # path from the record to its store, when it has one
    create_defaults: dict[str, object] = field(default_factory=dict)  # Salesforce values sent on create only
    external_id: str = EXTERNAL_ID_FIELD
    sends_store: bool = False  # the record's store goes as Store__c (and its currency as CurrencyIsoCode)
    website_owned: tuple[str, ...] = ()  # fields the website assigns (composite keys): sent, never taken back
    mergeable: bool = False  # Salesforce merges its records: a deleted row may name the winner (MasterRecordId)

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def syncs_upstream(self) -> bool:
        return self.direction in (Direction.UPSTREAM, Direction.BOTH)

    @property
    def syncs_downstream(self) -> bool:
        return self.direction in (Direction.DOWNSTREAM, Direction.BOTH)

    @property
    def read_fields(self) -> dict[str, str]:
        """The mapped fields whose values come from outside (a Salesforce row, a loaded file); the website-owned
        ones are only sent."""
        return {name: field for name, field in self.fields.items() if name not in self.website_owned}

    @property
    def tracked_fields(self) -> tuple[str, ...]:
        """Model attribute names whose change is a change event (fields, parent foreign keys, a sent store)."""
        parents = tuple(self.model._meta.get_field(p.field).attname for p in self.parents)
        return tuple(self.fields) + parents + (("store_id",) if self.sends_store else ())

    def parent(self, field_name: str) -> ParentLink | None:
        return next((p for p in self.parents if p.field == field_name), None)

    @property
    def always_in_a_store(self) -> bool:
        """Every record belongs to a store (nothing along store_path may be null): an event or error of this object
        with no store is not an org-shared one, and only superusers see it."""
        if not self.store_path:
            return False
        model = self.model
        for step in self.store_path.split("__"):
            field = model._meta.get_field(step)
            if field.null:
                return False
            model = field.related_model
        return True

    def store_ids(self, pks) -> dict[int, int | None]:
        """The store of each record (by pk), along store_path; empty for org-shared objects."""
        if not self.store_path:
            return {}
        return dict(self.model._default_manager.filter(pk__in=list(pks)).values_list("pk", self.store_path))


class MappingRegistry:
    def __init__(self) -> None:
        self._by_label: dict[str, SyncMapping] = {}
        self._by_sobject: dict[str, SyncMapping] = {}

    def register(self, model: type[models.Model], sobject: str, fields: dict[str, str], **options) -> SyncMapping:
        mapping = SyncMapping(model=model, sobject=sobject, fields=fields, **options)
        self._by_label[mapping.label] = mapping
        self._by_sobject[sobject] = mapping
        return mapping

    def is_registered(self, model: type[models.Model]) -> bool:
        return model._meta.label_lower in self._by_label

    def for_model(self, model: type[models.Model]) -> SyncMapping:
        return self._by_label[model._meta.label_lower]

    def for_label(self, label: str) -> SyncMapping:
        return self._by_label[label]

    def for_sobject(self, sobject: str) -> SyncMapping:
        return self._by_sobject[sobject]

    def all(self) -> list[SyncMapping]:
        return list(self._by_label.values())

    def store_owned_sobjects(self) -> list[str]:
        return [m.sobject for m in self._by_label.values() if m.always_in_a_store]

    def parents_first(self) -> list[SyncMapping]:
        """Every mapping, each after the mappings it looks up (a topological order)."""
        ordered: list[SyncMapping] = []
        seen: set[str] = set()

        def visit(mapping: SyncMapping) -> None:
            if mapping.sobject in seen:
                return
            seen.add(mapping.sobject)
            for parent in mapping.parents:
                if parent.sobject in self._by_sobject:
                    visit(self._by_sobject[parent.sobject])
            ordered.append(mapping)

        for mapping in self._by_label.values():
            visit(mapping)
        return ordered


registry = MappingRegistry()
