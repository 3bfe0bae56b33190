"""`python manage.py sync_triggers on|off|status|catch-up [--org NAME]`: the per-org sync-triggers switch.

`on` and `status` list the changes made while the triggers were off; `catch-up` sends them.
"""

from django.core.management.base import BaseCommand, CommandError

from changeevents.commandline import orgs_named
from changeevents.models import ChangeEvent
from changeevents.triggers import set_triggers
from changeevents.unsent import TriggersStillOff, catch_up, describe_unsent


class Command(BaseCommand):
    help = (
        "Switch an org's sync triggers on or off (takes effect at once), show them, or catch up the changes made "
        "while they were off."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["on", "off", "status", "catch-up"])
        parser.add_argument("--org", help="the org's name (default: every org)")
        parser.add_argument("--reason", default="", help="logged with the switch")

    def handle(self, *args, **options):
        orgs = orgs_named(options["org"])
        action = options["action"]
        refused = []
        for org in orgs.select_related("triggers_changed_by"):
            if action == "catch-up":
                try:
                    sent = catch_up(ChangeEvent.objects.filter(org=org))
                except TriggersStillOff as exc:
                    refused.append(f"{org.name}: nothing caught up: {exc}")
                    continue
                self.stdout.write(f"{org.name}: {sent} changes made while the sync triggers were off queued to send")
                continue
            if action != "status":
                set_triggers(org, action == "on", reason=options["reason"] or "Switched by sync_triggers.")
            state = "on" if org.triggers_enabled else "OFF"
            since = f" since {org.triggers_changed_at:%Y-%m-%d %H:%M:%S} UTC" if org.triggers_changed_at else ""
            by = f" by {org.triggers_changed_by}" if org.triggers_changed_by else ""
            self.stdout.write(f"{org.name}: sync triggers {state}{since}{by}")
            if org.triggers_enabled and (unsent := describe_unsent(org)):
                self.stdout.write(unsent)
        if refused:
            raise CommandError(" | ".join(refused))
