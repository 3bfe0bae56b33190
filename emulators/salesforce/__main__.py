"""`python -m emulators.salesforce [--port N] [--state FILE] [--rules FILE] [--seed demo] [--connection-file F]`."""

from .cli import main

main()
