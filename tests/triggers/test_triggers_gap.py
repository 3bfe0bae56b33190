"""Triggers-off gap (issue 13): changes made while the sync triggers were off are listed and caught up."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from changeevents.models import ChangeEvent
from changeevents.triggers import set_triggers
from changeevents.upstream import dispatch_org
from storefront.models import Account, Contact
from tests.factories import AccountFactory, ContactFactory, StoreFactory, UserFactory, no_inline_rows

pytestmark = pytest.mark.django_db


def org_rows(sf_org, sobject):
    return {r["External_ID__c"]: r for r in sf_org.emulator.control.records(sobject)}


def change_while_off(sf_org):
    """A synced account; then, triggers off: a new contact, the account renamed, a synced contact deleted."""
    account = AccountFactory(org=sf_org, name="Before")
    doomed = ContactFactory(org=sf_org, account=account)
    dispatch_org(sf_org.pk)
    doomed_sfid = Contact.objects.get(pk=doomed.pk).salesforce_id
    set_triggers(sf_org, False)
    new = ContactFactory(org=sf_org, account=account, last_name="Offline")
    account = Account.objects.get(pk=account.pk)
    account.name = "Renamed offline"
    account.save()
    Contact.objects.get(pk=doomed.pk).delete()
    return account, new, doomed_sfid


def test_changes_made_while_off_are_not_sent_but_listed_by_sync_triggers_on(sf_org):
    account, new, _ = change_while_off(sf_org)
    dispatch_org(sf_org.pk)
    assert new.scid not in org_rows(sf_org, "Contact")  # nothing went while off

    out = StringIO()
    call_command("sync_triggers", "on", "--org", sf_org.name, stdout=out)

    assert "3 changes made while the sync triggers were off are not sent (Account 1, Contact 2)" in out.getvalue()
    dispatch_org(sf_org.pk)  # switching on sends nothing by itself
    assert new.scid not in org_rows(sf_org, "Contact")
    assert ChangeEvent.objects.unsent().count() == 3


def test_sync_triggers_catch_up_sends_them_all(sf_org):
    account, new, doomed_sfid = change_while_off(sf_org)
    with pytest.raises(CommandError, match="are off: switch them on first"):
        call_command("sync_triggers", "catch-up", "--org", sf_org.name, stdout=StringIO())
    set_triggers(sf_org, True)

    out = StringIO()
    call_command("sync_triggers", "catch-up", "--org", sf_org.name, stdout=out)
    dispatch_org(sf_org.pk)

    assert "3 changes made while the sync triggers were off queued to send" in out.getvalue()
    assert org_rows(sf_org, "Account")[account.scid]["Name"] == "Renamed offline"
    assert org_rows(sf_org, "Contact")[new.scid]["LastName"] == "Offline"
    assert doomed_sfid not in {r["Id"] for r in sf_org.emulator.control.records("Contact")}
    assert not ChangeEvent.objects.unsent().exists()


def test_the_admin_lists_them_to_those_who_may_see_them_and_catches_up_or_discards(sf_org, admin_client, client):
    from django.contrib.auth.models import Permission

    account, new, _ = change_while_off(sf_org)
    set_triggers(sf_org, True)
    url = reverse("admin:changeevents_unsentchange_changelist")
    other = UserFactory(username="other-tenant")
    other.user_permissions.set(Permission.objects.filter(content_type__app_label="changeevents"))
    StoreFactory().managers.add(other)  # manages a store of another org
    client.force_login(other)

    page = admin_client.get(url).content.decode()
    assert new.scid in page and account.scid in page
    assert new.scid not in client.get(url).content.decode()
    forged = [e.pk for e in ChangeEvent.objects.unsent()]
    client.post(url, {"action": "send_now", "_selected_action": forged})
    assert ChangeEvent.objects.unsent().count() == 3  # another tenant's forged ids catch nothing up

    account_event = ChangeEvent.objects.unsent().get(sobject="Account")
    admin_client.post(url, {"action": "discard_changes", "_selected_action": [account_event.pk]})
    admin_client.post(url, {"action": "send_now", "_selected_action": [e.pk for e in ChangeEvent.objects.unsent()]})
    dispatch_org(sf_org.pk)

    assert org_rows(sf_org, "Account")[account.scid]["Name"] == "Before"  # discarded, knowingly
    assert org_rows(sf_org, "Contact")[new.scid]["LastName"] == "Offline"
    assert ChangeEvent.objects.get(pk=account_event.pk).last_message.startswith("Discarded by")


def test_switching_on_in_the_org_admin_says_how_many_wait(sf_org, admin_client):
    change_while_off(sf_org)
    url = reverse("admin:connectors_salesforceorg_change", args=[sf_org.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"triggers_enabled": "on"} | no_inline_rows(page))

    response = admin_client.post(url, data, follow=True)

    assert "3 changes made while the sync triggers were off are not sent" in response.content.decode()
