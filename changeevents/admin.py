"""Engine actions on the org admin ("Sync now"), added from here because connectors imports no other app."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from connectors.models import SalesforceOrg

from .tasks import poll_downstream_task
from .triggers import set_triggers


@admin.action(description=_("Sync now: read every object from Salesforce"), permissions=["change"])
def sync_now(modeladmin, request, queryset):
    for org in queryset:
        poll_downstream_task.delay(org.pk)
    modeladmin.message_user(
        request,
        ngettext("A sync of %(count)d org was queued.", "A sync of %(count)d orgs was queued.", queryset.count())
        % {"count": queryset.count()},
        messages.SUCCESS,
    )


@admin.action(description=_("Sync price book entries and CPQ now"), permissions=["change"])
def sync_ten_minute_objects_now(modeladmin, request, queryset):
    for org in queryset:
        poll_downstream_task.delay(org.pk, "ten_minutes")
    modeladmin.message_user(request, _("Price book entries and CPQ objects will be read now."), messages.SUCCESS)


org_admin = admin.site._registry.get(SalesforceOrg)
if org_admin is not None:
    org_admin.actions = [*(org_admin.actions or []), sync_now, sync_ten_minute_objects_now]


def _switch_through_set_triggers(admin_instance):
    """Saving triggers_enabled in the org admin goes through set_triggers, so who and when are logged."""
    save_model = admin_instance.save_model

    def save(request, obj, form, change):
        if change and "triggers_enabled" in form.changed_data:
            wanted = obj.triggers_enabled
            obj.triggers_enabled = not wanted
            save_model(request, obj, form, change)
            set_triggers(obj, wanted, user=request.user, reason="Changed in the admin.")
        else:
            save_model(request, obj, form, change)

    admin_instance.save_model = save


if org_admin is not None:
    _switch_through_set_triggers(org_admin)
