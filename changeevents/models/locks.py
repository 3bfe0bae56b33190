"""Leased locks in the database, so an overlapping run of the same org's sync is a no-op on any backend."""

from django.db import models


class SyncLock(models.Model):
    key = models.CharField(max_length=200, unique=True)
    owner = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
