"""An emulated Salesforce org: a real HTTPS server on loopback that the unmodified simple-salesforce talks to.

It imports nothing from the rest of the project. See docs/salesforce-emulator.md for what it emulates.
"""

from .server import EmulatedOrg

__all__ = ["EmulatedOrg"]
