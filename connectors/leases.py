"""Leased keys in the database: one primitive for three jobs, on any backend.

- Locks: `with held_lock("upstream:1") as lease:` runs the block once across processes; the holder calls
  `lease.renew()` between batches, so a dead holder's lock expires within one lease (SCSYNC_LEASE_SECONDS).
- Markers: `take_once(key, seconds)` is true for the first caller until the key expires or is cleared (a wake-up
  already queued for an org is not queued again).
- Schedule guards: `ran_recently(name, every)`, the same key never cleared (a second Beat's run within half an
  interval is a no-op).

They live here, at the bottom of the house, because the sync engine and the catalog connectors both use them.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import LeasedKey

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """The lock's lease ran out and someone else holds it now: the run must stop."""


def acquire(key: str, owner: str, lease_seconds: float) -> bool:
    """Take the key if it is free, expired or already this owner's; returns whether this owner now holds it.

    One statement (INSERT ... ON CONFLICT DO UPDATE ... WHERE, on PostgreSQL and SQLite alike): no race between
    a check and a write, and no failed INSERT to roll back.
    """
    now = timezone.now()
    expires = now + timedelta(seconds=lease_seconds)
    names = (LeasedKey._meta.db_table, "key", "owner", "expires_at")
    table, key_, owner_, expires_ = (connection.ops.quote_name(name) for name in names)
    sql = (
        f"INSERT INTO {table} ({key_}, {owner_}, {expires_}) VALUES (%s, %s, %s) "
        f"ON CONFLICT ({key_}) DO UPDATE SET {owner_} = excluded.{owner_}, {expires_} = excluded.{expires_} "
        f"WHERE {table}.{expires_} < %s OR {table}.{owner_} = excluded.{owner_}"
    )
    fields = LeasedKey._meta
    params = [
        key,
        owner,
        fields.get_field("expires_at").get_db_prep_save(expires, connection),
        fields.get_field("expires_at").get_db_prep_save(now, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def release(key: str, owner: str | None = None) -> None:
    """Free the key (only when `owner` still holds it, if given)."""
    keys = LeasedKey.objects.filter(key=key)
    (keys.filter(owner=owner) if owner else keys).delete()


def take_once(key: str, seconds: float) -> bool:
    """True for the first caller; later callers get False until `seconds` passed or the key was released."""
    return acquire(key, uuid.uuid4().hex, seconds)


def ran_recently(name: str, every: float | None) -> bool:
    """For a scheduled run (`every`: its interval in seconds, None for a manual run): whether a run of `name`
    started within half an interval; otherwise note this one as started."""
    return every is not None and not take_once(f"schedule:{name}", every / 2)


class Lease:
    """A held (or refused) lock. Truthy when held; `renew()` keeps it, at most every third of a lease."""

    def __init__(self, key: str, seconds: float):
        self.key, self.seconds = key, seconds
        self.owner = uuid.uuid4().hex
        self.held = acquire(key, self.owner, seconds)
        self._renewed = time.monotonic()

    def __bool__(self) -> bool:
        return self.held

    def renew(self, force: bool = False) -> bool:
        """Extend the lease; returns whether it wrote. Raises LeaseLost when another owner took the key."""
        if not force and time.monotonic() - self._renewed < self.seconds / 3:
            return False
        if not acquire(self.key, self.owner, self.seconds):
            self.held = False
            raise LeaseLost(self.key)
        self._renewed = time.monotonic()
        return True

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            release(self.key, self.owner)
        except DatabaseError:
            # the connection died under the run: try once on a fresh one, else the lease runs out on its own
            if connection.in_atomic_block:
                raise
            connection.close()
            try:
                release(self.key, self.owner)
            except DatabaseError:
                logger.warning("lock %s could not be released; it expires within %s s", self.key, self.seconds)


@contextlib.contextmanager
def held_lock(key: str, seconds: float | None = None) -> Iterator[Lease]:
    """Yield a Lease (truthy when taken, released afterwards; falsy when someone else holds the key)."""
    lease = Lease(key, seconds or settings.SCSYNC_LEASE_SECONDS)
    try:
        yield lease
    finally:
        lease.release()
