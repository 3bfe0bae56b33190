"""`python manage.py check_org [--org NAME]`: check each org against the sync mappings before syncing."""

from django.core.management.base import BaseCommand, CommandError

from changeevents.commandline import orgs_named
from changeevents.org_check import check_org


class Command(BaseCommand):
    help = (
        "Authenticate with each org, describe every synced object, and report missing fields, a missing or "
        "non-external External_ID__c, picklist values the website uses that the org lacks, and the API usage. "
        "Exits 1 when any org has a problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", help="the org's name (default: every org)")

    def handle(self, *args, **options):
        failing = []
        for org in orgs_named(options["org"]):
            result = check_org(org)
            self.stdout.write(result.summary())
            for problem in result.problems if not result.error else []:
                self.stdout.write(f"  {problem}")
            if not result.ok:
                failing.append(f"{org.name} ({len(result.problems)} problem(s))")
        if failing:
            raise CommandError(f"Not ready to sync: {', '.join(failing)}; the lines above say what to fix.")
