"""`python manage.py connector_sync CONNECTOR [--force-refresh]`: run a catalog connector now."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from connectors.catalog.runs import ConnectorBusy, request_refresh, run_connector
from connectors.catalog.shopify import ChannelError
from connectors.models import CatalogConnector, ConnectorRun


class Command(BaseCommand):
    help = (
        "Run a catalog connector now (by id or name), with a progress bar. Exits 1 when the run failed, was paused "
        "by a deactivation, or items failed (the activity log and Connector item states say why)."
    )

    def add_arguments(self, parser):
        parser.add_argument("connector")
        parser.add_argument("--force-refresh", action="store_true", help="send every visible item; no deletions")

    def handle(self, *args, **options):
        key = options["connector"]
        connector = (
            CatalogConnector.objects.filter(pk=int(key) if key.isdigit() else None).first()
            or CatalogConnector.objects.filter(name=key).first()
        )
        if connector is None:
            raise CommandError(f"No catalog connector {key!r}.")
        if not connector.active:
            raise CommandError(f"Connector {connector.name!r} is not active: activate it first.")
        request_refresh(connector, force=options["force_refresh"])
        try:
            with tqdm(desc=connector.name, unit="item", disable=None) as progress:
                run = run_connector(connector.pk, progress=progress)
        except ChannelError as exc:
            raise CommandError(str(exc)) from exc
        except ConnectorBusy:
            raise CommandError(
                f"Connector {connector.name!r} is being run by another process; it takes up this refresh before it "
                "finishes."
            ) from None
        if run is None:
            self.stdout.write("Nothing to send.")
            return
        self.stdout.write(
            f"{run.get_state_display()}: sent {run.sent}, skipped {run.skipped}, failed {run.failed}, "
            f"deleted {run.deleted}, {run.cost_points:g} cost points"
        )
        if run.state == ConnectorRun.State.ERROR:
            raise CommandError(f"The run of {connector.name!r} failed: {run.message}")
        if run.state == ConnectorRun.State.PAUSED:
            raise CommandError(f"The run of {connector.name!r} stopped: {run.message}")
        if run.failed:
            raise CommandError(
                f"{run.failed} item(s) of {connector.name!r} failed; Connector item states in the admin say why."
            )
