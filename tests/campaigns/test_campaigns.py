"""Campaign and CampaignMember sync both ways with External_ID__c and load with bulk_load (issue 15, point 4).
Against the emulated org (a real HTTPS server in this process)."""

import pytest

from changeevents.downstream import poll_org
from changeevents.upstream import dispatch_org
from storefront.bulk.service import bulk_load
from storefront.models import Campaign, CampaignMember
from syncerrors.models import SyncError
from tests.factories import ContactFactory, LeadFactory

pytestmark = pytest.mark.django_db


def _by_external_id(control, sobject):
    return {r["External_ID__c"]: r for r in control.records(sobject)}


def test_a_campaign_member_round_trip(sf_org, sf_store):
    control = sf_org.emulator.control
    contact = ContactFactory(account__org=sf_org, org=sf_org)
    campaign = Campaign.objects.create(org=sf_org, name="Spring sale", status="In Progress", is_active=True)
    member = CampaignMember.objects.create(org=sf_org, campaign=campaign, contact=contact)

    dispatch_org(sf_org.pk)

    assert not SyncError.objects.exists(), list(SyncError.objects.values_list("status_code", "message"))
    in_org = _by_external_id(control, "CampaignMember")[member.scid]
    org_campaign = _by_external_id(control, "Campaign")[campaign.scid]
    contact.refresh_from_db()
    assert (org_campaign["Name"], org_campaign["Status"], org_campaign["IsActive"]) == (
        "Spring sale",
        "In Progress",
        True,
    )
    assert in_org["CampaignId"] == org_campaign["Id"] and in_org["ContactId"] == contact.salesforce_id

    # the org marks the contact as responded and adds a store's lead to the campaign
    lead = LeadFactory(store=sf_store)
    dispatch_org(sf_org.pk)
    lead.refresh_from_db()
    control.update_records("CampaignMember", {in_org["Id"]: {"Status": "Responded"}})
    [new_id] = control.create_records(
        "CampaignMember", [{"CampaignId": org_campaign["Id"], "LeadId": lead.salesforce_id, "Status": "Sent"}]
    )
    poll_org(sf_org.pk)

    member.refresh_from_db()
    added = CampaignMember.objects.get(salesforce_id=new_id)
    assert member.status == "Responded"
    assert (added.campaign, added.lead, added.contact) == (campaign, lead, None)
    assert CampaignMember.objects.for_store(sf_store).get() == added  # a lead's membership is its store's


def test_campaign_members_load_with_bulk_load_and_a_member_with_no_one_is_a_bad_row(sf_org, tmp_path):
    contact = ContactFactory(account__org=sf_org, org=sf_org, scid="LEGACY-C1")
    campaign = Campaign.objects.create(org=sf_org, name="Newsletter", scid="LEGACY-CMP")
    dispatch_org(sf_org.pk)
    path = tmp_path / "members.csv"
    path.write_text(
        "scid,campaign,contact,lead,status\n"
        f"LEGACY-M1,{campaign.scid},{contact.scid},,Responded\n"
        f"LEGACY-M2,{campaign.scid},,,Sent\n"
    )

    summary = bulk_load(path, "CampaignMember", sf_org)

    assert summary.bad_rows == [(3, "A campaign member is a contact or a lead: give one.")]
    assert (summary.loaded, summary.sent, summary.failed) == (1, 1, 0)
    member = CampaignMember.objects.get(scid="LEGACY-M1")
    in_org = _by_external_id(sf_org.emulator.control, "CampaignMember")["LEGACY-M1"]
    assert member.salesforce_id == in_org["Id"] and in_org["Status"] == "Responded"
