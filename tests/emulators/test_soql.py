"""SOQL and SOSL as Salesforce reads them, through the unmodified simple-salesforce over HTTPS."""

import datetime

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


@pytest.fixture
def sf(emulated_org):
    return emulated_org.client()


def _names(sf, soql):
    return sorted(r["Name"] for r in sf.query_all(soql)["records"])


def _refused(sf, soql) -> str:
    """The error code the org answers a query with."""
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query(soql)
    return refused.value.content[0]["errorCode"]


def test_soql_object_and_field_names_are_case_insensitive_and_answered_as_defined(sf):
    sf.Account.create({"Name": "Acme"})

    rows = sf.query("select id, NAME from account where name != null")["records"]

    assert rows[0]["attributes"]["type"] == "Account"
    assert set(rows[0]) == {"attributes", "Id", "Name"}
    assert rows[0]["Name"] == "Acme"


def test_soql_text_comparisons_ignore_case(sf):
    for name in ("Acme", "Bolt"):
        sf.Account.create({"Name": name})

    assert _names(sf, "SELECT Name FROM Account WHERE Name = 'acme'") == ["Acme"]
    assert _names(sf, "SELECT Name FROM Account WHERE Name IN ('ACME', 'bolt')") == ["Acme", "Bolt"]
    assert _names(sf, "SELECT Name FROM Account WHERE Name != 'ACME'") == ["Bolt"]
    assert _names(sf, "SELECT Name FROM Account WHERE Name LIKE 'ac%'") == ["Acme"]


def test_soql_a_15_character_id_matches(sf):
    account = sf.Account.create({"Name": "Acme"})["id"]
    sf.Contact.create({"LastName": "Able", "AccountId": account})

    assert _names(sf, f"SELECT Name FROM Account WHERE Id = '{account[:15]}'") == ["Acme"]
    assert _names(sf, f"SELECT Name FROM Account WHERE Id IN ('{account[:15]}')") == ["Acme"]
    contacts = sf.query(f"SELECT LastName FROM Contact WHERE AccountId = '{account[:15]}'")["records"]
    assert [c["LastName"] for c in contacts] == ["Able"]


def test_soql_date_literals(sf, emulated_org):
    today = datetime.datetime.now(datetime.UTC).date()
    emulated_org.control.create_records(
        "Campaign",
        [
            {"Name": "Today", "StartDate": today.isoformat()},
            {"Name": "Last week", "StartDate": (today - datetime.timedelta(days=6)).isoformat()},
            {"Name": "Long ago", "StartDate": (today - datetime.timedelta(days=400)).isoformat()},
            {"Name": "Tomorrow", "StartDate": (today + datetime.timedelta(days=1)).isoformat()},
        ],
    )

    assert _names(sf, "SELECT Name FROM Campaign WHERE StartDate = TODAY") == ["Today"]
    assert _names(sf, "SELECT Name FROM Campaign WHERE StartDate = LAST_N_DAYS:7") == ["Last week", "Today"]
    assert _names(sf, "SELECT Name FROM Campaign WHERE StartDate < LAST_N_DAYS:30") == ["Long ago"]
    assert _names(sf, "SELECT Name FROM Campaign WHERE StartDate > TODAY") == ["Tomorrow"]
    assert _names(sf, "SELECT Name FROM Campaign WHERE StartDate = TOMORROW") == ["Tomorrow"]
    assert len(_names(sf, "SELECT Name FROM Campaign WHERE CreatedDate = TODAY")) == 4
    assert _names(sf, "SELECT Name FROM Campaign WHERE CreatedDate < YESTERDAY") == []
    assert _refused(sf, "SELECT Name FROM Campaign WHERE StartDate = LAST_N_DAYS:x") == "MALFORMED_QUERY"


def test_soql_child_subquery(sf):
    acme = sf.Account.create({"Name": "Acme"})["id"]
    sf.Account.create({"Name": "Lonely"})
    for last in ("Able", "Baker"):
        sf.Contact.create({"LastName": last, "AccountId": acme})

    rows = sf.query(
        "SELECT Name, (SELECT LastName FROM Contacts WHERE LastName != 'Baker' ORDER BY LastName) "
        "FROM Account ORDER BY Name"
    )["records"]

    acme_row, lonely_row = rows
    assert acme_row["Contacts"]["totalSize"] == 1 and acme_row["Contacts"]["done"] is True
    assert [c["LastName"] for c in acme_row["Contacts"]["records"]] == ["Able"]
    assert acme_row["Contacts"]["records"][0]["attributes"]["type"] == "Contact"
    assert lonely_row["Contacts"] is None  # Salesforce answers null, not an empty list
    assert _refused(sf, "SELECT Name, (SELECT Id FROM Widgets) FROM Account") == "INVALID_TYPE"


def test_soql_owner_name_comes_from_a_user_record(sf):
    sf.Account.create({"Name": "Acme"})

    row = sf.query("SELECT Name, Owner.Name, Owner.IsActive FROM Account")["records"][0]
    user = sf.query("SELECT Id, Name FROM User")["records"]

    assert row["Owner"]["Name"] == user[0]["Name"] and row["Owner"]["Name"]
    assert row["Owner"]["IsActive"] is True
    assert _refused(sf, "SELECT Owner.Shoe_Size__c FROM Account") == "INVALID_FIELD"


def test_sosl_find_returning(sf):
    acme = sf.Account.create({"Name": "Acme Widgets"})["id"]
    sf.Account.create({"Name": "Bolt Supplies"})
    contact = sf.Contact.create({"LastName": "Acmeson", "Email": "joe@acme.example"})["id"]

    everywhere = sf.search("FIND {acme}")["searchRecords"]
    named = sf.search("FIND {Acme*} IN NAME FIELDS RETURNING Account(Id, Name), Contact(LastName)")["searchRecords"]
    quick = sf.quick_search("Widgets")["searchRecords"]

    assert {(r["attributes"]["type"], r["Id"]) for r in everywhere} == {("Account", acme), ("Contact", contact)}
    assert {r["attributes"]["type"]: r.get("Name", r.get("LastName")) for r in named} == {
        "Account": "Acme Widgets",
        "Contact": "Acmeson",
    }
    assert [r["Id"] for r in quick] == [acme]
    with pytest.raises(SalesforceMalformedRequest) as short:
        sf.search("FIND {a}")
    assert short.value.content[0]["errorCode"] == "MALFORMED_SEARCH"
