"""What a record looks like to Salesforce: its mapped fields, External_ID__c, and its parents: by Salesforce Id once
the org has confirmed them, else by external ID (so a parent and its children still go in one cycle).

A create (or a record Salesforce has never confirmed) sends its full state. An update sends only the fields the
website changed since the record's last successful push: the union of the folded events' changed fields, so a
field the org changed meanwhile is left alone (the conflict rule holds field by field).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from .registry import CURRENCY_FIELD, STORE_FIELD, SyncMapping
from .values import to_salesforce


def changed_since_last_push(events: Iterable) -> set[str] | None:
    """Attribute names the folded events changed; None when one of them is a create (the full state goes)."""
    names: set[str] = set()
    for event in events:
        if event.event_type == "create":
            return None
        names.update(event.changed_fields or {})
    return names


def build_payload(instance: models.Model, mapping: SyncMapping, events: Iterable | None = None) -> dict:
    """The body of a Collections upsert on External_ID__c: the full state, or only what `events` changed."""
    only = None if events is None or not instance.salesforce_id else changed_since_last_push(events)
    body = {mapping.external_id: instance.scid}
    if only is None:
        body.update(mapping.create_defaults if not instance.salesforce_id else {})
    for model_field, salesforce_field in mapping.fields.items():
        if only is None or model_field in only:
            body[salesforce_field] = to_salesforce(getattr(instance, model_field))
    for link in mapping.parents:
        if only is not None and instance._meta.get_field(link.field).attname not in only:
            continue
        parent = getattr(instance, link.field)
        if parent is None:
            body[link.lookup] = None
        elif parent.salesforce_id:  # the org confirmed it: by Id (a parent deleted there since is refused)
            body[link.lookup] = parent.salesforce_id
        else:  # not confirmed yet (it may go in the same cycle): by its External_ID__c
            body[link.relationship] = {mapping.external_id: parent.scid}
    if mapping.sends_store:
        body.update(store_values(instance.store, instance.org, only))
    return body


def store_values(store, org, only: set[str] | None = None) -> dict:
    """What a store-owned record tells Salesforce of its store: Store__c, the store's name (on create, and when the
    record moves store), and CurrencyIsoCode, the store's currency (on create, where the org is multi-currency:
    Salesforce does not let an order with items change currency)."""
    values = {}
    if only is None or "store_id" in only:
        values[STORE_FIELD] = store.name
    if only is None and org.multi_currency:
        values[CURRENCY_FIELD] = store.currency
    return values
