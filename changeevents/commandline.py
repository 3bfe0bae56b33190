"""Helpers shared by the engine's management commands."""

from django.core.management.base import CommandError

from connectors.models import SalesforceOrg


def orgs_named(name: str | None):
    """Every org, or the one named; a name that matches none is a CommandError naming it."""
    orgs = SalesforceOrg.objects.all()
    if name:
        orgs = orgs.filter(name=name)
        if not orgs.exists():
            raise CommandError(f"No Salesforce org is named {name!r}.")
    return orgs
