"""`python manage.py bench <name> [...]`: benchmarks that print figures (tests never time anything)."""

import importlib
import importlib.util

from django.core.management.base import BaseCommand, CommandError

# name -> module with SIZES (option names that must be positive), add_arguments(parser) and run(options, stdout)
BENCHMARKS = {
    "upstream": "benchmarks.upstream",
    "downstream": "benchmarks.downstream",
    "emulator": "benchmarks.emulator",
    "bulk": "benchmarks.bulk",
    "latency": "benchmarks.latency",
    "console": "benchmarks.console",
}


class Command(BaseCommand):
    help = "Run a benchmark against the emulated org in this process and print its figures."

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        for name, path in BENCHMARKS.items():
            module = importlib.import_module(path)
            module.add_arguments(subparsers.add_parser(name, help=(module.__doc__ or "").splitlines()[0]))

    def handle(self, *args, **options):
        if importlib.util.find_spec("trustme") is None:
            raise CommandError(
                "the benchmarks run against the emulators, which need trustme: pip install -e '.[emulators]'"
            )
        module = importlib.import_module(BENCHMARKS[options["benchmark"]])
        for name in module.SIZES:
            if options[name] <= 0:
                raise CommandError(f"--{name.replace('_', '-')} must be a positive number (got {options[name]}).")
        module.run(options, self.stdout)
