"""`python manage.py bench <name> [...]`: benchmarks that print figures (tests never time anything)."""

import importlib

from django.core.management.base import BaseCommand

# name -> module with add_arguments(parser) and run(options, stdout); bulk lives with the bulk loader.
BENCHMARKS = {
    "upstream": "changeevents.benchmarks.upstream",
    "downstream": "changeevents.benchmarks.downstream",
    "emulator": "changeevents.benchmarks.emulator",
    "bulk": "storefront.bulk.bench",
}


class Command(BaseCommand):
    help = "Run a benchmark against the emulated org in this process and print its figures."

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        for name, path in BENCHMARKS.items():
            module = importlib.import_module(path)
            module.add_arguments(subparsers.add_parser(name, help=(module.__doc__ or "").splitlines()[0]))

    def handle(self, *args, **options):
        module = importlib.import_module(BENCHMARKS[options["benchmark"]])
        module.run(options, self.stdout)
