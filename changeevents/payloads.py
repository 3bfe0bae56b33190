"""What a record looks like to Salesforce: its mapped fields, External_ID__c, and parents by external ID."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models

from .registry import SyncMapping


def to_salesforce(value):
    """A model value as Salesforce JSON: decimals as numbers, dates ISO, empty strings as null."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value == "":
        return None
    return value


def build_payload(instance: models.Model, mapping: SyncMapping) -> dict:
    """The record's current state for a Collections upsert on External_ID__c."""
    body = {mapping.external_id: instance.scid}
    for model_field, salesforce_field in mapping.fields.items():
        body[salesforce_field] = to_salesforce(getattr(instance, model_field))
    for link in mapping.parents:
        parent = getattr(instance, link.field)
        if parent is None:
            body[link.lookup] = None
        else:
            body[link.relationship] = {mapping.external_id: parent.scid}
    return body
