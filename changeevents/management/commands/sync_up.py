"""One upstream dispatch now, with a summary: `python manage.py sync_up [--org NAME]`."""

from django.core.management.base import BaseCommand

from changeevents.commandline import for_each_org, orgs_named
from changeevents.upstream import dispatch_org_alone


class Command(BaseCommand):
    help = "Send every org's (or one org's) pending change events to Salesforce now and print what happened."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="the org's name (default: every org)")

    def handle(self, *args, **options):
        for_each_org(
            orgs_named(options["org"]),
            lambda org: dispatch_org_alone(org.pk) or "a dispatch is already running; nothing done.",
            self.stdout.write,
        )
