"""Where an org's credentials come from: environment variables named by the org, or the emulator's file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from connectors.models import SalesforceOrg
from connectors.validators import first_invalid, salesforce_prefix, validate_login_domain

PUBSUB_ENDPOINT = "api.pubsub.salesforce.com:7443"  # Salesforce's Pub/Sub API, for every org


@dataclass(frozen=True)
class Connection:
    auth_method: str
    api_version: str
    domain: str
    username: str = ""
    instance_url: str = ""
    session_id: str = ""
    ca_file: str = ""
    consumer_key: str = ""
    consumer_secret: str = ""
    private_key_file: str = ""
    password: str = ""
    security_token: str = ""
    pubsub_endpoint: str = PUBSUB_ENDPOINT  # host:port of the org's Pub/Sub API (Change Data Capture)


def _env(prefix: str, name: str, required: bool = True) -> str:
    variable = f"{prefix}_{name}"
    value = os.environ.get(variable, "")
    if required and not value:
        raise ImproperlyConfigured(f"{variable} is not set (needed by the Salesforce org using prefix {prefix}).")
    return value


def _emulator_connection(org: SalesforceOrg) -> Connection:
    path = Path(settings.SALESFORCE_EMULATOR_CONNECTION_FILE)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ImproperlyConfigured(
            f"Org {org.name!r} has no credentials prefix and the emulated org's connection file {path} does not "
            "exist: start the emulated org (make run does) or set a credentials prefix."
        ) from exc
    return Connection(
        auth_method=SalesforceOrg.AuthMethod.SESSION,
        api_version=org.api_version,
        domain=org.login_domain,
        instance_url=data["instance_url"],
        session_id=data["session_id"],
        ca_file=data.get("ca_file", ""),
        consumer_key=data.get("client_id", ""),
        consumer_secret=data.get("client_secret", ""),
        pubsub_endpoint=data.get("pubsub_url") or PUBSUB_ENDPOINT,
    )


def _check(org: SalesforceOrg) -> None:
    """The saved settings pass today's validation (a row saved before it, or written around the admin, may not):
    credentials go only to a Salesforce login host, and only the org's own SF_ variables are read."""
    checks = [("login domain", validate_login_domain, org.login_domain)]
    if org.credentials_env_prefix:
        checks.append(("credentials prefix", salesforce_prefix, org.credentials_env_prefix))
    reason = first_invalid(checks)
    if reason:
        raise ImproperlyConfigured(f"Org {org.name!r} has an {reason}")


REQUIRED_VARIABLES = {
    SalesforceOrg.AuthMethod.SESSION: ("INSTANCE_URL", "SESSION_ID"),
    SalesforceOrg.AuthMethod.JWT_BEARER: ("CONSUMER_KEY", "PRIVATE_KEY_FILE"),
    SalesforceOrg.AuthMethod.PASSWORD: ("PASSWORD", "SECURITY_TOKEN"),
}


def missing_variables(org: SalesforceOrg) -> list[str]:
    """The environment variables the org's auth method needs that this process does not have (names only; an
    org with no prefix uses the emulated org's connection file, whose absence connection_for explains)."""
    prefix = org.credentials_env_prefix
    if not prefix:
        return []
    return [
        f"{prefix}_{name}" for name in REQUIRED_VARIABLES[org.auth_method] if not os.environ.get(f"{prefix}_{name}")
    ]


def connection_for(org: SalesforceOrg) -> Connection:
    """The connection settings of an org; an invalid setting or a missing variable raises ImproperlyConfigured
    naming it."""
    _check(org)
    prefix = org.credentials_env_prefix
    base = {
        "auth_method": org.auth_method,
        "api_version": org.api_version,
        "domain": org.login_domain,
        "pubsub_endpoint": (prefix and _env(prefix, "PUBSUB_ENDPOINT", required=False)) or PUBSUB_ENDPOINT,
    }
    if org.auth_method == SalesforceOrg.AuthMethod.SESSION:
        if not prefix:
            return _emulator_connection(org)
        return Connection(
            **base,
            instance_url=_env(prefix, "INSTANCE_URL"),
            session_id=_env(prefix, "SESSION_ID"),
            ca_file=_env(prefix, "CA_FILE", required=False),
            consumer_key=_env(prefix, "CONSUMER_KEY", required=False),
            consumer_secret=_env(prefix, "CONSUMER_SECRET", required=False),
        )
    if not prefix:
        raise ImproperlyConfigured(f"Org {org.name!r} needs a credentials prefix for {org.get_auth_method_display()}.")
    if org.auth_method == SalesforceOrg.AuthMethod.JWT_BEARER:
        return Connection(
            **base,
            username=org.username,
            consumer_key=_env(prefix, "CONSUMER_KEY"),
            private_key_file=_env(prefix, "PRIVATE_KEY_FILE"),
        )
    return Connection(
        **base,
        username=org.username,
        password=_env(prefix, "PASSWORD"),
        security_token=_env(prefix, "SECURITY_TOKEN"),
    )
