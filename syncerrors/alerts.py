"""Alerts: when new root errors appear, the org's alert addresses hear of it once per status code per hour, with the
count and a link to the filtered list; an optional webhook gets the same as JSON. Sent after the errors commit;
once per (org, code, hour) across every process (a lease, connectors.leases). A mail server or webhook that fails
is logged and loses nothing: the errors are in the console either way."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from connectors.leases import take_once
from connectors.models import SalesforceOrg
from connectors.validators import email_list, first_invalid, validate_webhook_url

from .models import SyncError

logger = logging.getLogger(__name__)
ALERT_EVERY = 3600  # seconds: one alert per org and status code in this time
WEBHOOK_TIMEOUT = 5


def alert_after_commit(roots: list[SyncError]) -> None:
    """New root errors were recorded: once the transaction commits, alert for each (org, status code)."""
    groups = sorted({(error.org_id, error.status_code) for error in roots})

    def send_all():
        for org_id, code in groups:
            send_alert(org_id, code)

    if groups:
        transaction.on_commit(send_all)


def send_alert(org_id: int, status_code: str) -> bool:
    """E-mail (and POST) one alert unless one for this org and code went out within the hour; True when sent."""
    org = SalesforceOrg.objects.filter(pk=org_id).first()
    if org is None or not (org.alert_emails or org.alert_webhook_url):
        return False
    if not take_once(f"alert:{org_id}:{status_code}", ALERT_EVERY):
        return False
    since = timezone.now() - timedelta(seconds=ALERT_EVERY)
    errors = SyncError.objects.unresolved().roots().filter(org_id=org_id, status_code=status_code)
    count = errors.filter(created_at__gte=since).count()
    query = urlencode({"org": org_id, "status_code": status_code})
    link = f"{settings.SCSYNC_CONSOLE_URL.rstrip('/')}{reverse('admin:syncerrors_syncerror_changelist')}?{query}"
    subject = f"[SCSync] {org.name}: {count} new {status_code} sync error{'s' if count != 1 else ''}"
    body = (
        f"{count} change{'s' if count != 1 else ''} of {org.name} failed with {status_code} in the last hour.\n\n"
        f"See and re-sync them: {link}\n\n"
        f"You get at most one such e-mail per status code per hour (the org's alert addresses in SCSync)."
    )
    recipients = email_list(org.alert_emails)
    if recipients:
        try:
            send_mail(subject, body, None, recipients)
        except Exception as exc:  # the mail server is away: the errors are in the console all the same
            logger.warning("alert e-mail for %s %s not sent: %s", org.name, status_code, exc)
    if org.alert_webhook_url:
        _post(org, {"org": org.name, "status_code": status_code, "count": count, "link": link, "text": subject})
    return True


def _post(org: SalesforceOrg, payload: dict) -> None:
    invalid = first_invalid([("webhook URL", validate_webhook_url, org.alert_webhook_url)])
    if invalid:  # checked again before use: settings or the allow-list may have changed since it was saved
        logger.warning("alert webhook of %s not called: %s", org.name, invalid)
        return
    try:
        requests.post(org.alert_webhook_url, json=payload, timeout=WEBHOOK_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        logger.warning("alert webhook of %s failed: %s", org.name, type(exc).__name__)
