"""`python -m connectors.salesforce_emulator`: run the emulated org standalone (see the management command)."""

from .cli import main

main()
