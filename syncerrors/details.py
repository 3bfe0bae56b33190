"""Everything the info view shows about one error: resolution, what was sent, the record, its chain, history."""

import json

from django.apps import apps
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from changeevents.models import ChangeEvent
from changeevents.registry import registry

from .models import SyncError
from .status_codes import status_code_info


def website_record_url(error: SyncError) -> str | None:
    """The admin page of the website record the error is about, if it still exists: by its event, or (an error
    with no event: a failed side effect, or one whose event was pruned) by its object and SCID."""
    event = error.event
    if event is not None:
        try:
            model = apps.get_model(event.model_label)
        except (LookupError, ValueError):
            return None
        pk = event.object_pk
        if pk is None or not model._default_manager.filter(pk=pk).exists():
            return None
    else:
        try:
            model = registry.for_sobject(error.sobject).model
        except KeyError:
            return None
        records = model._default_manager.filter(org_id=error.org_id, scid=error.scid)
        pk = records.values_list("pk", flat=True).first() if error.scid else None
        if pk is None:
            return None
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None


def _same_record(errors, error: SyncError):
    """Errors of the same record, by what the error itself keeps (its event may have been pruned)."""
    errors = errors.filter(org_id=error.org_id, sobject=error.sobject)
    if error.scid:
        return errors.filter(scid=error.scid)
    return errors.filter(salesforce_id=error.salesforce_id) if error.salesforce_id else errors.filter(pk=error.pk)


def salesforce_changes(error: SyncError, user, limit: int = 10) -> list[dict]:
    """What Salesforce changed of the error's record lately, newest first: each applied downstream event's type,
    time and field values (the same shape as the website's own changes)."""
    match = Q(scid=error.scid) if error.scid else Q(pk__in=[])
    if error.salesforce_id:
        match |= Q(salesforce_id=error.salesforce_id)
    events = (
        ChangeEvent.objects.visible_to(user)
        .downstream()
        .synced()
        .filter(match, org_id=error.org_id, sobject=error.sobject)
        .order_by("-id")[:limit]
    )
    return [
        {
            "event": event,
            "values": ", ".join(f"{name} = {value}" for name, value in sorted((event.changed_fields or {}).items())),
        }
        for event in events
    ]


def error_details(error: SyncError, user) -> dict:
    visible = SyncError.objects.visible_to(user)
    event = error.event
    return {
        "info": status_code_info(error.status_code, held=error.is_held, message=error.message),
        "record_url": website_record_url(error),
        "root": error.held_by if error.held_by_id and visible.filter(pk=error.held_by_id).exists() else None,
        "held_errors": list(visible.filter(held_by=error).unresolved().order_by("created_at")),
        "attempts": list(event.delivery_attempts.order_by("attempted_at")) if event else [],
        "history": list(_same_record(visible, error).exclude(pk=error.pk).order_by("-created_at")[:20]),
        "salesforce_changes": salesforce_changes(error, user),
        "payload_json": json.dumps(error.payload, indent=2, sort_keys=True, default=str),
        "fields_text": ", ".join(error.fields or []),
    }
