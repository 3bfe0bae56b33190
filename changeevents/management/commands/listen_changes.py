"""`python manage.py listen_changes [--org NAME]`: apply each org's Change Data Capture events as they happen."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from changeevents.cdc import Listener
from changeevents.commandline import orgs_named


class Command(BaseCommand):
    help = (
        "Subscribe to the change events of every org with 'Use Change Data Capture' on (Pub/Sub API) and apply them "
        "as they arrive, until Ctrl-C or SIGTERM. Orgs switched on or off are picked up within a second."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", help="only this org (default: every org with Change Data Capture on)")

    def handle(self, *args, **options):
        only = None
        if options["org"]:
            orgs = orgs_named(options["org"])
            if not orgs.filter(use_change_data_capture=True).exists():
                raise CommandError(f"Org {options['org']!r} has 'Use Change Data Capture' off: switch it on first.")
            only = list(orgs.values_list("pk", flat=True))
        stopped = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stopped.set())
        self.stdout.write("listening for change events (Ctrl-C stops)")
        self.stdout.flush()
        Listener(only).run(until=stopped)
