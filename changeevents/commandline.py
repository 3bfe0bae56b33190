"""Helpers shared by the engine's management commands."""

from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

from connectors.models import SalesforceOrg
from connectors.salesforce import SalesforceCallError
from connectors.salesforce.connection import connection_for


def orgs_named(name: str | None):
    """Every org, or the one named; a name that matches none is a CommandError naming it."""
    orgs = SalesforceOrg.objects.all()
    if name:
        orgs = orgs.filter(name=name)
        if not orgs.exists():
            raise CommandError(f"No Salesforce org is named {name!r}.")
    return orgs


def for_each_org(orgs: Iterable[SalesforceOrg], work: Callable[[SalesforceOrg], object], write) -> None:
    """Run `work` for each org and write its summary. An org whose credentials are missing, or whose org cannot
    be reached, does not stop the others; afterwards a CommandError names them all (one line, exit 1)."""
    problems = []
    for org in orgs:
        try:
            connection_for(org)  # a missing variable is named now, even when there is nothing to send
            summary = work(org)
        except (ImproperlyConfigured, SalesforceCallError) as exc:
            problems.append(f"{org.name}: {exc}")
            continue
        write(f"{org.name}: {summary}")
    if problems:
        raise CommandError(" | ".join(problems))
