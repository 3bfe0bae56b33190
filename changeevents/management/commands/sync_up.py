"""One upstream dispatch now, with a summary: `python manage.py sync_up [--org NAME]`."""

from django.core.management.base import BaseCommand, CommandError

from changeevents.locks import held_lock
from changeevents.upstream import dispatch_org
from connectors.models import SalesforceOrg


class Command(BaseCommand):
    help = "Send every org's (or one org's) pending change events to Salesforce now and print what happened."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="the org's name (default: every org)")

    def handle(self, *args, **options):
        orgs = SalesforceOrg.objects.all()
        if options["org"]:
            orgs = orgs.filter(name=options["org"])
            if not orgs.exists():
                raise CommandError(f"No Salesforce org is named {options['org']!r}.")
        for org in orgs:
            with held_lock(f"upstream:{org.pk}", lease_seconds=600) as acquired:
                if not acquired:
                    self.stdout.write(f"{org.name}: a dispatch is already running; nothing done.")
                    continue
                summary = dispatch_org(org.pk)
            self.stdout.write(f"{org.name}: {summary}")
