"""`python manage.py bench <name> [...]`: benchmarks that print figures (tests never time anything)."""

import importlib

from django.core.management.base import BaseCommand

BENCHMARKS = ["upstream", "downstream", "emulator"]


class Command(BaseCommand):
    help = "Run a benchmark against the emulated org in this process and print its figures."

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        for name in BENCHMARKS:
            module = importlib.import_module(f"changeevents.benchmarks.{name}")
            module.add_arguments(subparsers.add_parser(name, help=(module.__doc__ or "").splitlines()[0]))

    def handle(self, *args, **options):
        module = importlib.import_module(f"changeevents.benchmarks.{options['benchmark']}")
        module.run(options, self.stdout)
