"""`python manage.py sync_down [--org NAME] [--objects A,B] [--full | --reconcile]`: apply Salesforce's changes now."""

from django.core.management.base import BaseCommand, CommandError

from changeevents.commandline import for_each_org, orgs_named
from changeevents.downstream import mappings_for, poll_org


class Command(BaseCommand):
    help = "Read what changed in Salesforce and apply it to the website's records now."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="the org's name (default: every org)")
        parser.add_argument("--objects", help="comma-separated Salesforce objects (default: all synced objects)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--full", action="store_true", help="read everything through a Bulk API 2.0 query")
        mode.add_argument(
            "--reconcile",
            action="store_true",
            help="re-read the reconciliation window (SCSYNC_RECONCILE_WINDOW_SECONDS) and apply what polls missed",
        )

    def handle(self, *args, **options):
        objects = [o.strip() for o in (options["objects"] or "").split(",") if o.strip()] or None
        try:
            mappings_for(sobjects=objects)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for_each_org(
            orgs_named(options["org"]),
            lambda org: poll_org(org.pk, sobjects=objects, full=options["full"], reconcile=options["reconcile"]),
            self.stdout.write,
        )
