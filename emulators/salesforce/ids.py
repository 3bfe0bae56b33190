"""Salesforce record Ids: 3-character key prefix, 12 more characters, and the 3-character case-safe suffix."""

import threading

ORG_ID = "00D5g00000SCsynEAD"  # the org's id: the tenantid of Pub/Sub API calls
USER_ID = "0055g00000SCsynAAD"  # the integration user every session belongs to (commitUser of change events)
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def case_safe_suffix(id15: str) -> str:
    """Each 5-character chunk gives one suffix character: bit i is set when character i is upper-case."""
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(id15[start : start + 5]) if "A" <= ch <= "Z")
        suffix += _SUFFIX[bits]
    return suffix


def is_valid_id(value: str) -> bool:
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isalnum():
        return False
    return len(value) == 15 or case_safe_suffix(value[:15]) == value[15:]


class IdFactory:
    """Makes 18-character Ids for a key prefix, e.g. 0035g00000AbCdEFGH."""

    def __init__(self, start: int = 1):
        self._next = start
        self._lock = threading.Lock()

    def peek(self) -> int:
        return self._next

    def reset(self, start: int) -> None:
        with self._lock:
            self._next = start

    def new(self, prefix: str) -> str:
        with self._lock:
            number = self._next
            self._next += 1
        body = ""
        for _ in range(8):
            number, digit = divmod(number, 62)
            body = _ALPHABET[digit] + body
        id15 = f"{prefix}5g00{body}"[:15]
        return id15 + case_safe_suffix(id15)
