"""Leased keys: locks, wake-up markers and schedule guards of every process, on any backend (connectors/leases.py)."""

from django.db import models


class LeasedKey(models.Model):
    key = models.CharField(max_length=200, unique=True)
    owner = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
