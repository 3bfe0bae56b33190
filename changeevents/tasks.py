"""Celery tasks of the sync engine: thin, take ids, call a service."""

import logging

from celery import shared_task

from connectors.models import SalesforceOrg

from .models import ChangeEvent
from .upstream import dispatch_org_alone

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def dispatch_upstream_task(org_id: int) -> str:
    """Push an org's pending events; a run already going for the org makes this one a no-op."""
    if not SalesforceOrg.objects.filter(pk=org_id).exists():
        return "no such org"
    summary = dispatch_org_alone(org_id)
    if summary is None:
        return "already running"
    # a dispatch that found nothing to send is routine: DEBUG, so an idle installation logs nothing at INFO
    logger.log(logging.INFO if summary.claimed else logging.DEBUG, "upstream org %s: %s", org_id, summary)
    return str(summary)


@shared_task(ignore_result=True)
def sweep_upstream_task() -> int:
    """Wake the dispatcher of every org with due events: a lost message or a killed worker delays nothing long."""
    org_ids = list(ChangeEvent.objects.upstream().due().values_list("org_id", flat=True).distinct())
    for org_id in org_ids:
        dispatch_upstream_task.delay(org_id)
    return len(org_ids)


@shared_task(acks_late=True, ignore_result=True)
def poll_downstream_task(org_id: int, group: str | None = None, sobjects: list[str] | None = None) -> str:
    """Apply what changed in Salesforce for a schedule group (or chosen objects) of an org."""
    from .downstream import poll_org

    if not SalesforceOrg.objects.filter(pk=org_id).exists():
        return "no such org"
    summary = poll_org(org_id, group=group, sobjects=sobjects)
    logger.log(logging.INFO if summary.changed_anything else logging.DEBUG, "downstream org %s: %s", org_id, summary)
    return str(summary)


@shared_task(ignore_result=True)
def prune_synced_events_task() -> int:
    """Delete synced events older than the retention; failed and held ones stay until resolved."""
    from .retention import prune_synced_events

    return prune_synced_events()
