"""`{% sync_error_badge %}` and `{% sync_triggers_warning %}`: usable from any template."""

from django import template

from connectors.models import SalesforceOrg

from ..counts import badge_counts
from ..dashboard import dashboard_for

register = template.Library()


def _staff(context):
    """The request's user when active staff (whom the console's tags show anything), else None."""
    user = getattr(context.get("request"), "user", None)
    return user if user is not None and user.is_active and user.is_staff else None


@register.inclusion_tag("syncerrors/includes/badge.html", takes_context=True)
def sync_error_badge(context):
    """ "2 problems holding 5 changes": the unresolved root errors the user may see and the changes waiting behind
    them, linking to the list; red when there is any. A cached count (syncerrors.counts), one cache read."""
    user = _staff(context)
    if user is None:
        return {"show": False}
    counts = badge_counts(user)
    return {"show": True, "count": counts["problems"] + counts["held"], **counts}


@register.inclusion_tag("syncerrors/includes/triggers_warning.html", takes_context=True)
def sync_triggers_warning(context):
    """A warning while any org the user may see has its sync triggers off."""
    user = _staff(context)
    if user is None:
        return {"orgs": []}
    return {"orgs": list(SalesforceOrg.objects.visible_to(user).with_triggers_off())}


@register.inclusion_tag("syncerrors/includes/dashboard.html", takes_context=True)
def sync_dashboard(context):
    """The sync-health dashboard of every org the user may see (the admin index shows it first)."""
    user = _staff(context)
    if user is None:
        return {"show": False}
    return {"show": True, "dashboard": dashboard_for(user)}
