"""Change events decoded as the CDC developer guide describes them: bitmaps of schema positions, compound fields
nested as records (a real org's Name and addresses; the emulated org sends flat fields), REST-shaped rows."""

from connectors.salesforce import PARTIAL
from connectors.salesforce.pubsub import change_record, field_names

NULLABLE_STRING = ["null", "string"]
SCHEMA = {
    "type": "record",
    "name": "ContactChangeEvent",
    "fields": [
        {"name": "ChangeEventHeader", "type": {"type": "record", "name": "ChangeEventHeader", "fields": []}},
        {"name": "Name", "type": ["null", {"type": "record", "name": "Switchable_PersonName", "fields": [
            {"name": "Salutation", "type": NULLABLE_STRING},
            {"name": "FirstName", "type": NULLABLE_STRING},
            {"name": "LastName", "type": NULLABLE_STRING},
        ]}]},
        {"name": "Phone", "type": NULLABLE_STRING},
        {"name": "MailingAddress", "type": ["null", {"type": "record", "name": "Address", "fields": [
            {"name": "Street", "type": NULLABLE_STRING},
            {"name": "City", "type": NULLABLE_STRING},
        ]}]},
        {"name": "Birthdate", "type": ["null", "int"], "doc": "Data:Date"},
        {"name": "LastModifiedDate", "type": ["null", "long"], "doc": "Data:DateTime"},
    ],
}  # fmt: skip


def header(change_type, changed=(), nulled=(), diff=(), ids=("003000000000001AAA",)):
    return {
        "entityName": "Contact",
        "recordIds": list(ids),
        "changeType": change_type,
        "changeOrigin": "com/salesforce/api/rest/59.0",
        "commitTimestamp": 1_700_000_000_000,
        "changedFields": list(changed),
        "nulledFields": list(nulled),
        "diffFields": list(diff),
    }


def test_decoding_bitmaps_name_top_level_fields_and_the_parts_of_compound_fields():
    # positions: 1 Name, 2 Phone, 3 MailingAddress, 5 LastModifiedDate; Name's part 2 is LastName, the address's 1 City
    assert field_names(SCHEMA, ["0x2a", "1-0x4", "3-0x2"]) == ["LastName", "MailingCity", "LastModifiedDate"]
    assert field_names(SCHEMA, ["0x4"]) == ["Phone"]
    assert field_names(SCHEMA, ["0x8"]) == ["MailingStreet", "MailingCity"]  # no nested bitmap: every part
    assert field_names(SCHEMA, []) == []


def test_decoding_an_update_is_a_partial_row_of_its_changed_and_nulled_fields():
    values = {"Name": {"Salutation": None, "FirstName": None, "LastName": "Lovelace"}, "Phone": None}
    record = {"ChangeEventHeader": header("UPDATE", changed=["0x6", "1-0x4"], nulled=["0x4"]), **values}

    (row,) = change_record(SCHEMA, record).rows

    assert row == {"Id": "003000000000001AAA", "IsDeleted": False, PARTIAL: True, "LastName": "Lovelace", "Phone": None}


def test_decoding_a_create_is_a_whole_row_with_rest_dates_and_a_gap_or_diff_needs_a_read():
    record = {
        "ChangeEventHeader": header("CREATE"),
        "Name": {"Salutation": None, "FirstName": "Ada", "LastName": "Lovelace"},
        "Phone": "1",
        "MailingAddress": {"Street": "1 Way", "City": "London"},
        "Birthdate": 1,
        "LastModifiedDate": 1_700_000_000_123,
    }

    (row,) = change_record(SCHEMA, record).rows

    assert (row["FirstName"], row["MailingStreet"], row["MailingCity"]) == ("Ada", "1 Way", "London")
    assert row["Birthdate"] == "1970-01-02" and row["LastModifiedDate"] == "2023-11-14T22:13:20.123+0000"
    assert PARTIAL not in row
    gap = change_record(SCHEMA, {"ChangeEventHeader": header("GAP_UPDATE")})
    diff = change_record(SCHEMA, {"ChangeEventHeader": header("UPDATE", changed=["0x4"], diff=["0x4"])})
    assert gap.needs_read and not gap.rows and diff.needs_read
    deleted = change_record(SCHEMA, {"ChangeEventHeader": header("DELETE", ids=("a", "b"))})
    assert deleted.rows == [{"Id": "a", "IsDeleted": True}, {"Id": "b", "IsDeleted": True}]
