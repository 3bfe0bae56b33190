"""`python manage.py sync_triggers on|off|status [--org NAME]`: the per-org sync-triggers switch."""

from django.core.management.base import BaseCommand

from changeevents.commandline import orgs_named
from changeevents.triggers import set_triggers


class Command(BaseCommand):
    help = "Switch an org's sync triggers on or off (takes effect at once), or show them."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["on", "off", "status"])
        parser.add_argument("--org", help="the org's name (default: every org)")
        parser.add_argument("--reason", default="", help="logged with the switch")

    def handle(self, *args, **options):
        orgs = orgs_named(options["org"])
        for org in orgs.select_related("triggers_changed_by"):
            if options["action"] != "status":
                set_triggers(org, options["action"] == "on", reason=options["reason"] or "Switched by sync_triggers.")
            state = "on" if org.triggers_enabled else "OFF"
            since = f" since {org.triggers_changed_at:%Y-%m-%d %H:%M:%S} UTC" if org.triggers_changed_at else ""
            by = f" by {org.triggers_changed_by}" if org.triggers_changed_by else ""
            self.stdout.write(f"{org.name}: sync triggers {state}{since}{by}")
