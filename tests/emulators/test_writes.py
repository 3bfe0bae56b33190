"""Writes checked as Salesforce checks them, through the unmodified simple-salesforce over HTTPS."""

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound


@pytest.fixture
def sf(emulated_org):
    return emulated_org.client()


def _error(raised) -> dict:
    return raised.value.content[0]


def _create_collection(sf, sobject: str, *records: dict):
    """POST composite/sobjects, allOrNone false: each record answered on its own."""
    body = {"allOrNone": False, "records": [{"attributes": {"type": sobject}} | r for r in records]}
    return sf.restful("composite/sobjects", method="POST", json=body)


def test_writes_text_longer_than_its_field_is_string_too_long(sf, emulated_org):
    with pytest.raises(SalesforceMalformedRequest) as name:
        sf.Account.create({"Name": "n" * 300})
    with pytest.raises(SalesforceMalformedRequest) as external:
        sf.Account.upsert("External_ID__c/" + "x" * 80, {"Name": "ok"})
    results = _create_collection(sf, "Contact", {"LastName": "Fine"}, {"LastName": "l" * 81})

    assert (_error(name)["errorCode"], _error(name)["fields"]) == ("STRING_TOO_LONG", ["Name"])
    assert "max length=255" in _error(name)["message"]
    assert _error(external)["errorCode"] == "STRING_TOO_LONG"
    assert results[0]["success"] is True
    assert results[1]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert results[1]["errors"][0]["fields"] == ["LastName"]
    assert [c["LastName"] for c in emulated_org.control.records("Contact")] == ["Fine"]
    assert emulated_org.control.records("Account") == []


def test_writes_a_value_of_the_wrong_shape_is_json_parser_error_and_writes_nothing(sf, emulated_org):
    with pytest.raises(SalesforceMalformedRequest) as nested:
        sf.Account.create({"Name": {"first": "Acme"}})
    with pytest.raises(SalesforceMalformedRequest) as date:
        sf.Campaign.create({"Name": "Spring", "StartDate": "not-a-date"})
    with pytest.raises(SalesforceMalformedRequest) as number:
        sf.OrderItem.create({"Quantity": "lots"})
    with pytest.raises(SalesforceMalformedRequest) as in_a_collection:
        _create_collection(sf, "Campaign", {"Name": "Good"}, {"Name": "Bad", "StartDate": "2026-13-45"})

    for raised in (nested, date, number, in_a_collection):
        assert _error(raised)["errorCode"] == "JSON_PARSER_ERROR"
    assert "StartDate" in _error(date)["message"] and "not-a-date" in _error(date)["message"]
    # Salesforce reads the whole body before writing: the good record of the refused collection is not written
    assert emulated_org.control.records("Campaign") == []
    assert emulated_org.control.records("Account") == []


def test_writes_a_bad_date_in_a_bulk_row_is_invalid_type_on_that_row(sf, emulated_org):
    results = sf.bulk2.Campaign.insert(
        records=[{"Name": "Good", "StartDate": "2026-03-01"}, {"Name": "Bad", "StartDate": "not-a-date"}], wait=0.1
    )
    job = sf.bulk2.Campaign.get_failed_records(results[0]["job_id"])

    assert results[0]["numberRecordsFailed"] == 1
    assert "INVALID_TYPE_ON_FIELD_IN_RECORD" in job and "not-a-date" in job
    assert [c["Name"] for c in emulated_org.control.records("Campaign")] == ["Good"]


def test_writes_upsert_needs_an_external_id_field(sf, emulated_org):
    sf.Account.create({"Name": "Acme", "Phone": "555"})

    with pytest.raises(SalesforceResourceNotFound) as by_phone:
        sf.Account.upsert("Phone/555", {"Name": "Changed"})
    with pytest.raises(SalesforceResourceNotFound) as collection:
        sf.restful(
            "composite/sobjects/Account/Phone",
            method="PATCH",
            json={"allOrNone": False, "records": [{"attributes": {"type": "Account"}, "Phone": "555"}]},
        )
    with pytest.raises(SalesforceMalformedRequest) as bulk:
        sf.bulk2.Account.upsert(records=[{"Phone": "555", "Name": "Bulk"}], external_id_field="Phone", wait=0.1)

    assert "Phone" in by_phone.value.content[0]["message"]
    assert collection.value.content[0]["errorCode"] == "NOT_FOUND"
    assert bulk.value.content[0]["errorCode"] == "INVALIDJOB"
    assert [a["Name"] for a in emulated_org.control.records("Account")] == ["Acme"]


def test_writes_external_ids_match_without_regard_to_case(sf, emulated_org):
    assert sf.Account.upsert("External_ID__c/CaseX-1", {"Name": "First"}) == 201

    assert sf.Account.upsert("External_ID__c/casex-1", {"Name": "Same record"}) == 200
    assert sf.Account.get_by_custom_id("External_ID__c", "CASEX-1")["Name"] == "Same record"
    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.Account.create({"Name": "Clash", "External_ID__c": "CASEX-1"})

    assert _error(duplicate)["errorCode"] == "DUPLICATE_VALUE"
    rows = emulated_org.control.records("Account")
    assert [(a["Name"], a["External_ID__c"]) for a in rows] == [("Same record", "CaseX-1")]


def test_writes_a_case_sensitive_external_id_tells_case_apart(sf, emulated_org, org_schema):
    org_schema["objects"]["Account"]["fields"]["External_ID__c"]["caseSensitive"] = True
    emulated_org.control.load_schema(org_schema)

    assert sf.Account.upsert("External_ID__c/CaseX-1", {"Name": "Upper"}) == 201
    assert sf.Account.upsert("External_ID__c/casex-1", {"Name": "Lower"}) == 201

    assert sorted(a["External_ID__c"] for a in emulated_org.control.records("Account")) == ["CaseX-1", "casex-1"]


def test_writes_a_campaign_member_names_a_contact_or_a_lead(sf, emulated_org):
    campaign = sf.Campaign.create({"Name": "Spring"})["id"]
    contact = sf.Contact.create({"LastName": "Able"})["id"]

    with pytest.raises(SalesforceMalformedRequest) as neither:
        sf.CampaignMember.create({"CampaignId": campaign})
    member = sf.CampaignMember.create({"CampaignId": campaign, "ContactId": contact})["id"]
    with pytest.raises(SalesforceMalformedRequest) as cleared:
        sf.CampaignMember.update(member, {"ContactId": None})

    assert _error(neither)["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert _error(neither)["fields"] == ["ContactId", "LeadId"]
    assert _error(cleared)["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert len(emulated_org.control.records("CampaignMember")) == 1
