"""Leased locks: `with held_lock("upstream:org:1") as acquired:` runs the block once across processes."""

import contextlib
import uuid
from collections.abc import Iterator
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import SyncLock


def acquire(key: str, owner: str, lease_seconds: float) -> bool:
    """Take the lock if it is free or its lease expired; returns whether this owner now holds it."""
    now = timezone.now()
    expires = now + timedelta(seconds=lease_seconds)
    taken = SyncLock.objects.filter(Q(key=key) & (Q(expires_at__lt=now) | Q(owner=owner))).update(
        owner=owner, expires_at=expires
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            SyncLock.objects.create(key=key, owner=owner, expires_at=expires)
    except IntegrityError:
        return False
    return True


def release(key: str, owner: str) -> None:
    SyncLock.objects.filter(key=key, owner=owner).delete()


@contextlib.contextmanager
def held_lock(key: str, lease_seconds: float = 300) -> Iterator[bool]:
    """Yield True when the lock was taken (and release it afterwards), False when someone else holds it."""
    owner = uuid.uuid4().hex
    acquired = acquire(key, owner, lease_seconds)
    try:
        yield acquired
    finally:
        if acquired:
            release(key, owner)
