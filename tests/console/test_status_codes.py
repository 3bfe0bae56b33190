"""The status-code catalogue."""

from syncerrors.status_codes import CATALOGUE, UNKNOWN, status_code_info

SEED_CODES = {
    "CANNOT_EXECUTE_FLOW_TRIGGER",
    "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
    "CANNOT_REPARENT_RECORD",
    "DUPLICATE_VALUE",
    "DUPLICATES_DETECTED",
    "EMAIL_ADDRESS_BOUNCED",
    "EMAIL_TEMPLATE_MERGEFIELD_ERROR",
    "ENTITY_IS_LOCKED",
    "FAILED_ACTIVATION",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    "FIELD_INTEGRITY_EXCEPTION",
    "INVALID_CHANGE_EVENT",
    "INVALID_CROSS_REFERENCE_KEY",
    "INVALID_EMAIL_ADDRESS",
    "INVALID_FIELD",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    "REQUIRED_FIELD_MISSING",
    "UNKNOWN_EXCEPTION",
    "UNABLE_TO_LOCK_ROW",
}


def test_status_codes_cover_the_seed_and_the_org_level_codes():
    assert len(SEED_CODES) == 19
    own = {"MEDIA_IMPORT_FAILED", "CANNOT_APPLY_DOWNSTREAM"}  # the project's own, not Salesforce's
    value_shape = {"STRING_TOO_LONG", "JSON_PARSER_ERROR", "INVALID_TYPE_ON_FIELD_IN_RECORD"}  # issue 16
    org_deleted = {"ENTITY_IS_DELETED"}  # a website change of a record the org deleted
    assert SEED_CODES | {"REQUEST_LIMIT_EXCEEDED", "INVALID_SESSION_ID"} | own | value_shape | org_deleted == set(
        CATALOGUE
    )
    assert all(entry.description and entry.resolution for entry in CATALOGUE.values())


def test_status_codes_transient_ones():
    transient = {code for code, entry in CATALOGUE.items() if entry.transient}

    assert transient == {"UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "INVALID_SESSION_ID"}


def test_status_codes_invalid_field_hint_depends_on_whether_a_parent_holds_it():
    held = status_code_info("INVALID_FIELD", held=True)
    salesforce_own = status_code_info("INVALID_FIELD", held=False)

    assert "parent" in held.description and held.held_relation
    assert "does not know a field" in salesforce_own.description and not salesforce_own.held_relation


def test_status_codes_engine_codes_say_how_they_relate_to_the_root():
    assert "earlier" in status_code_info("INVALID_CHANGE_EVENT", held=True).held_relation


def test_status_codes_unknown_code_falls_back():
    assert status_code_info("SOMETHING_NEW") is UNKNOWN


def test_status_codes_a_missing_parent_gets_the_parent_fix_whichever_way_salesforce_says_it():
    from syncerrors.status_codes import MISSING_PARENT_FIX

    by_external_id = status_code_info(
        "INVALID_FIELD", message="Foreign key external ID: SC1 not found for field External_ID__c in entity Account"
    )
    by_id = status_code_info("INVALID_CROSS_REFERENCE_KEY", message="invalid cross reference id: 001000000000001AAA")

    assert MISSING_PARENT_FIX in by_external_id.resolution and MISSING_PARENT_FIX in by_id.resolution
    assert "does not know a field" in status_code_info("INVALID_FIELD", message="No such column 'Foo__c'").description
