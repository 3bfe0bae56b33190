"""Celery tasks of the catalog connectors: thin, take ids."""

from celery import shared_task

from .runs import ConnectorBusy, request_refresh, run_connector


@shared_task(acks_late=True, ignore_result=True)
def run_connector_task(connector_id: int) -> str:
    try:
        run = run_connector(connector_id)
    except ConnectorBusy:
        return "already running in another process (it takes up what was queued)"
    return run.get_state_display() if run else "nothing to do"


@shared_task(ignore_result=True)
def scheduled_connector_task(connector_id: int, every: float | None = None) -> str:
    """The scheduled incremental run of an active connector (a second Beat's run within half an interval is a no-op)."""
    from ..leases import ran_recently
    from ..models import CatalogConnector

    if ran_recently(f"catalog:{connector_id}", every):
        return "ran within half an interval"
    connector = CatalogConnector.objects.filter(pk=connector_id, active=True).first()
    if connector is None:
        return "inactive"
    if not connector.runs.filter(state__in=["queued", "in_progress", "paused"]).exists():
        request_refresh(connector)
    return run_connector_task(connector_id)
