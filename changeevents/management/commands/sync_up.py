"""One upstream dispatch now, with a summary: `python manage.py sync_up [--org NAME]`."""

from django.core.management.base import BaseCommand

from changeevents.commandline import orgs_named
from changeevents.locks import held_lock
from changeevents.upstream import dispatch_org


class Command(BaseCommand):
    help = "Send every org's (or one org's) pending change events to Salesforce now and print what happened."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="the org's name (default: every org)")

    def handle(self, *args, **options):
        orgs = orgs_named(options["org"])
        for org in orgs:
            with held_lock(f"upstream:{org.pk}", lease_seconds=600) as acquired:
                if not acquired:
                    self.stdout.write(f"{org.name}: a dispatch is already running; nothing done.")
                    continue
                summary = dispatch_org(org.pk)
            self.stdout.write(f"{org.name}: {summary}")
