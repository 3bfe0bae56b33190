"""Celery tasks of the sync engine: thin, take ids, call a service.

Scheduled runs carry `every` (their interval, from the Beat row): a run within half an interval of the last one
started for the same org and group is a no-op, so a second Beat process doubles nothing.
"""

import contextlib
import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from connectors.leases import LeaseLost, ran_recently
from connectors.models import SalesforceOrg

from .failures import first_line
from .health import timed
from .safety_net import safety_net
from .upstream import take_turn
from .wakeups import sweep

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def _ends_cleanly(what: str):
    """A lost database connection or a lost lease ends the run with one warning line: the claims it held come
    back when their lease runs out, and the next run takes them."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        logger.warning("%s: database connection lost (%s); its claims return within one lease", what, first_line(exc))
    except LeaseLost:
        logger.warning("%s: lease lost to another run; stopped", what)


@shared_task(acks_late=True, ignore_result=True)
def dispatch_upstream_task(org_id: int) -> str:
    """One fair turn of an org's upstream work; a run already going for the org makes this one a no-op."""
    outcome = "stopped early"
    with _ends_cleanly(f"upstream org {org_id}"):
        if not SalesforceOrg.objects.filter(pk=org_id).exists():
            return "no such org"
        with timed("dispatch"):
            summary = take_turn(org_id)
        if summary is None:
            return "already running"
        # a dispatch that found nothing to send is routine: DEBUG, so an idle installation logs nothing at INFO
        logger.log(logging.INFO if summary.claimed else logging.DEBUG, "upstream org %s: %s", org_id, summary)
        outcome = str(summary)
    return outcome


@shared_task(ignore_result=True)
def sweep_upstream_task(every: float | None = None) -> int:
    """Wake every org with due events, once each: a lost message or a killed worker delays nothing long."""
    woken = 0
    with _ends_cleanly("upstream sweep"):
        if not ran_recently("upstream-sweep", every):
            with timed("sweep"):
                woken = sweep()
    return woken


@shared_task(acks_late=True, ignore_result=True)
def poll_downstream_task(
    org_id: int, group: str | None = None, sobjects: list[str] | None = None, every: float | None = None
) -> str:
    """Apply what changed in Salesforce for a schedule group (or chosen objects) of an org. A scheduled run of an
    org whose Change Data Capture is healthy is the safety net (safety_net.py): it reads less often, and all at once."""
    if every is not None and not sobjects:
        skip, group_to_read = safety_net(org_id, group)
        if skip:
            return skip
        if group_to_read != group:
            return _poll(org_id, "downstream safety net", f"downstream:{org_id}:all", every, group=group_to_read)
    return _poll(org_id, "downstream", f"downstream:{org_id}:{group or 'all'}", every, group=group, sobjects=sobjects)


@shared_task(acks_late=True, ignore_result=True)
def reconcile_downstream_task(org_id: int, every: float | None = None) -> str:
    """Re-read the reconciliation window of every object of an org and apply what the polls missed."""
    return _poll(org_id, "downstream reconciliation", f"reconcile:{org_id}", every, reconcile=True)


def _poll(org_id: int, what: str, schedule_key: str, every: float | None, **options) -> str:
    from .downstream import poll_org

    outcome = "stopped early"
    with _ends_cleanly(f"{what} org {org_id}"):
        if not SalesforceOrg.objects.filter(pk=org_id).exists():
            return "no such org"
        if ran_recently(schedule_key, every):
            return "ran within half an interval"
        with timed("poll"):
            summary = poll_org(org_id, **options)
        level = logging.INFO if summary.changed_anything else logging.DEBUG
        logger.log(level, "%s org %s: %s", what, org_id, summary)
        outcome = str(summary)
    return outcome


@shared_task(ignore_result=True)
def prune_synced_events_task() -> int:
    """Delete synced events older than the retention; failed and held ones stay until resolved."""
    from .retention import prune_synced_events

    return prune_synced_events()
