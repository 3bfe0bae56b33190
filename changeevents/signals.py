"""Signals the engine sends, so apps above it can react without the engine importing them."""

from django.dispatch import Signal

# Sent after the downstream sync applied rows: sender=model class, org_id, changes=[(pk, [field names])].
downstream_applied = Signal()
