"""Field values between the two sides: a model value as Salesforce JSON, a Salesforce value as a model value, and
the hash of a record's state as Salesforce holds it (what the downstream poll compares to skip unchanged rows)."""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal, InvalidOperation

from django.db import models


class RowError(ValueError):
    """A Salesforce value that cannot become a website value (the message names the field)."""


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


def from_salesforce(model_field: models.Field, value):
    """A Salesforce value as the model field's value; RowError when it cannot be one."""
    if value is None:
        if isinstance(model_field, models.CharField | models.TextField):
            return ""
        if model_field.null or isinstance(model_field, models.BooleanField):
            return None if model_field.null else False
        if model_field.has_default():
            return model_field.get_default()
        raise RowError(f"{model_field.name} is required on the website but Salesforce sent no value")
    try:
        if isinstance(model_field, models.DecimalField):
            return Decimal(str(value)).quantize(Decimal(1).scaleb(-model_field.decimal_places))
        if isinstance(model_field, models.IntegerField):
            return int(float(value))
        if isinstance(model_field, models.BooleanField):
            return bool(value)
        if isinstance(model_field, models.DateField):
            return datetime.date.fromisoformat(str(value)[:10])
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise RowError(f"{model_field.name}: cannot read {value!r}: {exc}") from exc
    value = str(value)
    if getattr(model_field, "max_length", None) and len(value) > model_field.max_length:
        raise RowError(f"{model_field.name} is longer than {model_field.max_length} characters")
    return value


def state_hash(values: dict) -> str:
    """The hash of a record's synced values (model field names and parent pks), as a downstream row gives them."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def pushed_state_hash(instance: models.Model, mapping) -> str:
    """The state hash of what Salesforce holds after a push of this instance (its values, read back as a row
    would be), so the next poll sees the website's own change as unchanged: no echo."""
    meta = instance._meta
    values = {}
    for name in mapping.read_fields:
        try:
            values[name] = from_salesforce(meta.get_field(name), to_salesforce(getattr(instance, name)))
        except RowError:
            return ""  # a value no row could carry: leave the hash empty, the next poll applies the row
    for link in mapping.parents:
        attname = meta.get_field(link.field).attname
        values[attname] = getattr(instance, attname)
    return state_hash(values)
