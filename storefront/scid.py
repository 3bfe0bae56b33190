"""StoreConnect IDs (SCID): the value every synced record carries in Salesforce's External_ID__c."""

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_scid() -> str:
    """A new SCID: "SC" + a 26-character ULID (48-bit millisecond time + 80 random bits).

    Time-ordered, so SCIDs sort by creation; 80 random bits per millisecond make a repeat, and so a
    reuse of a deleted record's SCID, practically impossible without any shared counter.
    """
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "SC" + "".join(reversed(chars))
