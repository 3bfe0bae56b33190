"""Who may drive an emulator: files only their owner reads, and a control token printed at start.

The connection file holds a session id and the control token, so it is written mode 0600, like the state file
(records and sessions). The control API (`/_emulator/...`) answers 401 unless the request carries the token in
the `X-Emulator-Token` header: another local user, or a page in a browser, cannot reset the org or read its records.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

CONTROL_TOKEN_HEADER = "X-Emulator-Token"
CONTROL_TOKEN_REFUSED = f"the control API needs the {CONTROL_TOKEN_HEADER} header: the control token printed at start"


def new_control_token() -> str:
    return secrets.token_urlsafe(24)


def token_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable and writable by its owner only (0600), even if it existed with wider modes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
