"""`python manage.py salesforce_emulator [--port N] [--state FILE] [--rules FILE] [--seed demo]`."""

from django.core.management.base import BaseCommand

from connectors.salesforce_emulator.cli import build_parser, serve


class Command(BaseCommand):
    help = "Run the emulated Salesforce org (HTTPS on loopback) until Ctrl-C."

    def add_arguments(self, parser):
        build_parser(parser)

    def handle(self, *args, **options):
        class Options:
            pass

        opts = Options()
        for key in ("port", "state", "rules", "seed", "connection_file", "verbose"):
            setattr(opts, key, options[key])
        serve(opts, write=self.stdout.write)
