"""Every status code of seed 001 (but INVALID_CHANGE_EVENT, which only the engine assigns), plus
REQUEST_LIMIT_EXCEEDED and INVALID_SESSION_ID, produced by the emulated org through rules and faults."""

import pytest
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)


@pytest.fixture
def sf(emulated_org):
    return emulated_org.client()


@pytest.fixture
def control(emulated_org):
    return emulated_org.control


def create_error(sf, sobject, body, headers=None):
    """Create through a Collections upsert and return the record's error (statusCode, message, fields)."""
    body = {"External_ID__c": "SC-TEST-1", **body}
    results = sf.restful(
        f"composite/sobjects/{sobject}/External_ID__c",
        method="PATCH",
        json={"allOrNone": False, "records": [{"attributes": {"type": sobject}, **body}]},
        headers=headers or {},
    )
    assert results[0]["success"] is False, results
    return results[0]["errors"][0]


def rest_error(call):
    with pytest.raises(SalesforceMalformedRequest) as info:
        call()
    return info.value.content[0]


def test_status_code_cannot_execute_flow_trigger(sf, control):
    control.add_rule({"type": "flow", "object": "Contact", "name": "Welcome Email"})

    error = create_error(sf, "Contact", {"LastName": "Flow"})

    assert error["statusCode"] == "CANNOT_EXECUTE_FLOW_TRIGGER"
    assert "Welcome Email" in error["message"]


def test_status_code_cannot_insert_update_activate_entity(sf, control):
    control.add_rule({"type": "apex", "object": "Lead", "name": "LeadTrigger"})

    error = rest_error(lambda: sf.Lead.create({"LastName": "Apex", "Company": "Acme"}))

    assert error["errorCode"] == "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY"
    assert "LeadTrigger" in error["message"]


def test_status_code_cannot_reparent_record_for_an_inactive_owner(sf, control):
    control.deactivate_user()

    error = create_error(sf, "Account", {"Name": "Orphan"})

    assert error["statusCode"] == "CANNOT_REPARENT_RECORD"
    assert error["fields"] == ["OwnerId"]


def test_status_code_duplicate_value(sf):
    sf.Account.create({"Name": "First", "External_ID__c": "DUP-1"})

    error = rest_error(lambda: sf.Account.create({"Name": "Second", "External_ID__c": "DUP-1"}))

    assert error["errorCode"] == "DUPLICATE_VALUE"
    assert error["message"].startswith("duplicate value found: External_ID__c duplicates value on record with id: 001")


def test_status_code_duplicates_detected_and_allow_save_header(sf, control):
    control.add_rule({"type": "duplicate", "object": "Account", "fields": ["Name"]})
    sf.Account.create({"Name": "Acme Pty"})

    error = create_error(sf, "Account", {"Name": "acme pty"})
    allowed = sf.restful(
        "composite/sobjects/Account/External_ID__c",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [{"attributes": {"type": "Account"}, "External_ID__c": "X", "Name": "Acme Pty"}],
        },
        headers={"Sforce-Duplicate-Rule-Header": "allowSave=true"},
    )

    assert error["statusCode"] == "DUPLICATES_DETECTED"
    assert allowed[0]["success"] is True


def test_status_code_email_address_bounced(sf, control):
    control.add_rule({"type": "bounced", "object": "Contact"})
    sf.Contact.create({"LastName": "Fine", "Email": "b@example.com"})

    error = create_error(sf, "Contact", {"LastName": "Bounce2", "Email": "c@example.com", "IsEmailBounced": True})

    assert error["statusCode"] == "EMAIL_ADDRESS_BOUNCED"
    assert "c@example.com" in error["message"]


def test_status_code_email_template_mergefield_error(sf, control):
    control.add_rule({"type": "email_template", "object": "Order", "name": "Order Confirmation"})
    account = sf.Account.create({"Name": "Shop"})

    error = create_error(sf, "Order", {"AccountId": account["id"], "EffectiveDate": "2026-11-24", "Status": "Draft"})

    assert error["statusCode"] == "EMAIL_TEMPLATE_MERGEFIELD_ERROR"
    assert "Order Confirmation" in error["message"]


def test_status_code_entity_is_locked(sf, control):
    account = sf.Account.create({"Name": "Locked Co"})
    control.add_rule({"type": "locked", "object": "Account", "condition": "Name = 'Locked Co'"})

    error = rest_error(lambda: sf.Account.update(account["id"], {"Phone": "1"}))

    assert error["errorCode"] == "ENTITY_IS_LOCKED"


def test_status_code_failed_activation(sf, control):
    control.add_rule({"type": "order_activation"})
    account = sf.Account.create({"Name": "Shop"})
    order = sf.Order.create({"AccountId": account["id"], "EffectiveDate": "2026-11-24", "Status": "Draft"})

    error = rest_error(lambda: sf.Order.update(order["id"], {"Status": "Activated"}))

    assert error["errorCode"] == "FAILED_ACTIVATION"


def test_status_code_field_custom_validation_exception(sf, control):
    control.add_rule(
        {
            "type": "validation",
            "object": "Contact",
            "condition": "Email = null",
            "message": "Email is required",
            "field": "Email",
        }
    )

    error = create_error(sf, "Contact", {"LastName": "NoEmail"})

    assert error == {
        "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "message": "Email is required",
        "fields": ["Email"],
    }


def test_status_code_field_integrity_exception_for_state_without_country(sf):
    error = create_error(sf, "Account", {"Name": "Stateful", "BillingStateCode": "CA"})

    assert error["statusCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert "country/territory must be specified" in error["message"]


def test_status_code_invalid_cross_reference_key_for_a_deleted_parent(sf):
    account = sf.Account.create({"Name": "Gone"})
    sf.Account.delete(account["id"])

    error = create_error(sf, "Contact", {"LastName": "Child", "AccountId": account["id"]})

    assert error["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert error["fields"] == ["AccountId"]


def test_status_code_invalid_email_address(sf):
    error = create_error(sf, "Contact", {"LastName": "Mail", "Email": "not-an-email"})

    assert error["statusCode"] == "INVALID_EMAIL_ADDRESS"


def test_status_code_invalid_field_for_an_unknown_field(sf):
    error = create_error(sf, "Contact", {"LastName": "X", "Shoe_Size__c": 9})

    assert error == {
        "statusCode": "INVALID_FIELD",
        "message": "No such column 'Shoe_Size__c' on sobject of type Contact",
        "fields": ["Shoe_Size__c"],
    }


def test_status_code_invalid_or_null_for_restricted_picklist(sf):
    error = create_error(sf, "Product2", {"Name": "Toy", "Family": "Toys"})

    assert error["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert error["fields"] == ["Family"]


def test_status_code_required_field_missing(sf):
    error = rest_error(lambda: sf.Contact.create({"FirstName": "Only"}))

    assert error == {
        "message": "Required fields are missing: [LastName]",
        "errorCode": "REQUIRED_FIELD_MISSING",
        "fields": ["LastName"],
    }


def test_status_code_unknown_exception(sf, control):
    control.add_rule({"type": "unknown", "object": "Case"})

    error = create_error(sf, "Case", {"Subject": "Help"})

    assert error["statusCode"] == "UNKNOWN_EXCEPTION"


def test_status_code_unable_to_lock_row_for_the_next_writes(sf, control):
    control.add_rule({"type": "row_lock", "object": "Account", "next_writes": 1})

    first = create_error(sf, "Account", {"Name": "Busy"})
    second = sf.Account.create({"Name": "Free"})

    assert first["statusCode"] == "UNABLE_TO_LOCK_ROW"
    assert second["success"] is True


def test_status_code_request_limit_exceeded(sf, control):
    control.set_api_limit(max=100, remaining=0)

    with pytest.raises(SalesforceRefusedRequest) as info:
        sf.query("SELECT Id FROM Account")

    assert info.value.status == 403
    assert info.value.content == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def test_status_code_invalid_session_id(sf, control):
    control.expire_sessions()

    with pytest.raises(SalesforceExpiredSession) as info:
        sf.query("SELECT Id FROM Account")

    assert info.value.status == 401
    assert info.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
