"""The sync-triggers switch: read from the database at each write, so switching takes effect at once."""

import logging

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from connectors.audit import log_change
from connectors.models import SalesforceOrg

logger = logging.getLogger(__name__)

# Sent after commit when an org's triggers are switched: sender=SalesforceOrg, org=..., enabled=bool.
# storefront catches up the media imports, inventory and keys skipped while they were off.
triggers_switched = Signal()


def triggers_enabled(org_id: int) -> bool:
    """Whether the org's sync triggers are on right now (one indexed read; no cache, so no staleness)."""
    return SalesforceOrg.objects.filter(pk=org_id, triggers_enabled=True).exists()


def set_triggers(org: SalesforceOrg, enabled: bool, user=None, reason: str = "") -> bool:
    """Switch an org's sync triggers, logging who and when. Returns True if the value changed."""
    changed = (
        SalesforceOrg.objects.filter(pk=org.pk)
        .exclude(triggers_enabled=enabled)
        .update(triggers_enabled=enabled, triggers_changed_at=timezone.now(), triggers_changed_by=user)
    )
    org.refresh_from_db(fields=["triggers_enabled", "triggers_changed_at", "triggers_changed_by"])
    message = f"Sync triggers switched {'on' if enabled else 'off'}. {reason}".strip()
    if changed:
        logger.info("org %s: %s (by %s)", org.pk, message, user or "system")
    if changed:
        transaction.on_commit(lambda: triggers_switched.send(sender=SalesforceOrg, org=org, enabled=enabled))
    if changed:
        log_change(user, [org], message)
    return bool(changed)
