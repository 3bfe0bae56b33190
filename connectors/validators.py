"""What an org's connection settings and a catalog connector's channel settings may be, checked on save and again
before use: a value that names a secret or a host decides where credentials go, so it follows an allow-list.

- `login_domain`: `login`, `test`, or a My Domain host under `.my.salesforce.com`;
- an org's credentials prefix: `SF_...`; a connector's token and CA variables: `SHOPIFY_...` (so neither can name
  the other's secrets, nor Django's);
- a shop URL: https on a `*.myshopify.com` host, plus loopback only where `SCSYNC_ALLOW_LOOPBACK` is on (the
  emulated shop of `make run` and the tests; off in production).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email
from django.utils.translation import gettext_lazy as _

MY_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.my\.salesforce\.com$")
SHOPIFY_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?\.myshopify\.com$")
LOOPBACK_NAMES = {"localhost"}

salesforce_prefix = RegexValidator(
    r"^SF_[A-Z0-9_]+\Z", _("Use SF_ followed by upper-case letters, digits and underscores, e.g. SF_ACME.")
)
shopify_variable = RegexValidator(
    r"^SHOPIFY_[A-Z0-9_]+\Z",
    _("Use SHOPIFY_ followed by upper-case letters, digits and underscores, e.g. SHOPIFY_ACME_TOKEN."),
)


def validate_login_domain(value: str) -> None:
    if value in ("login", "test") or MY_DOMAIN.match(value or ""):
        return
    raise ValidationError(
        _("%(value)r is not a Salesforce login domain: use login, test, or a My Domain such as %(example)s."),
        params={"value": value, "example": "acme.my.salesforce.com"},
        code="login_domain",
    )


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_shop_url(value: str) -> None:
    """https://<shop>.myshopify.com (no user, path, query or fragment; port 443), or a loopback https URL when
    SCSYNC_ALLOW_LOOPBACK is on."""
    try:
        parts = urlsplit(value or "")
        host, port = (parts.hostname or ""), parts.port
    except ValueError as exc:
        raise ValidationError(_("%(value)r is not a URL: %(reason)s"), params={"value": value, "reason": exc}) from exc
    plain = parts.scheme == "https" and not parts.username and not parts.password and parts.path in ("", "/")
    plain = plain and not parts.query and not parts.fragment
    if plain and SHOPIFY_HOST.match(host) and port in (None, 443):
        return
    if plain and settings.SCSYNC_ALLOW_LOOPBACK and is_loopback(host):
        return
    hint = _(" or https://127.0.0.1:PORT") if settings.SCSYNC_ALLOW_LOOPBACK else ""
    raise ValidationError(
        _("%(value)r is not a shop URL: use https://<your-shop>.myshopify.com%(hint)s."),
        params={"value": value, "hint": hint},
        code="shop_url",
    )


def validate_webhook_url(value: str) -> None:
    """An alert webhook: https with a host name or a public address, no user, password or fragment (a query may
    carry the receiver's own token); loopback only where SCSYNC_ALLOW_LOOPBACK is on, never a private address."""
    try:
        parts = urlsplit(value or "")
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise ValidationError(_("%(value)r is not a URL: %(reason)s"), params={"value": value, "reason": exc}) from exc
    plain = parts.scheme == "https" and bool(host) and not parts.username and not parts.password
    plain = plain and not parts.fragment
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if plain and is_loopback(host):
        if settings.SCSYNC_ALLOW_LOOPBACK:
            return
    elif plain and (address is None or address.is_global):
        return
    raise ValidationError(
        _("%(value)r is not a webhook URL: use https://<a public host>/<path>, with no user or password in it."),
        params={"value": value},
        code="webhook_url",
    )


def email_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s;]+", value or "") if part.strip()]


def validate_email_list(value: str) -> None:
    wrong = []
    for address in email_list(value):
        try:
            validate_email(address)
        except ValidationError:
            wrong.append(address)
    if wrong:
        raise ValidationError(
            _("Not an e-mail address: %(wrong)s."), params={"wrong": ", ".join(wrong)}, code="alert_emails"
        )


def first_invalid(checks) -> str | None:
    """For the checks made again before use: "invalid <what>: <reason>" for the first (what, validator, value)
    that fails, or None when all pass."""
    for what, validator, value in checks:
        try:
            validator(value)
        except ValidationError as exc:
            return f"invalid {what}: {' '.join(exc.messages)}"
    return None
