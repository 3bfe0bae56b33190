"""`{% sync_error_badge %}` and `{% sync_triggers_warning %}`: usable from any template."""

from django import template

from connectors.models import SalesforceOrg

from ..models import SyncError

register = template.Library()


@register.inclusion_tag("syncerrors/includes/badge.html", takes_context=True)
def sync_error_badge(context):
    """The number of unresolved errors the user may see, linking to the list; red when above zero."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_active or not user.is_staff:
        return {"show": False}
    count = SyncError.objects.visible_to(user).unresolved().count()
    return {"show": True, "count": count}


@register.inclusion_tag("syncerrors/includes/triggers_warning.html", takes_context=True)
def sync_triggers_warning(context):
    """A warning while any org the user may see has its sync triggers off."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_active or not user.is_staff:
        return {"orgs": []}
    return {"orgs": list(SalesforceOrg.objects.visible_to(user).with_triggers_off())}
