"""Composite, composite/batch and sObject Collections retrieve as Salesforce answers them, through the unmodified
simple-salesforce over HTTPS."""

import pytest

from emulators.salesforce.ids import case_safe_suffix


@pytest.fixture
def sf(emulated_org):
    return emulated_org.client()


def _sub(method, path, reference, body=None):
    sub = {"method": method, "url": f"/services/data/v59.0/{path}", "referenceId": reference}
    return sub | ({"body": body} if body is not None else {})


def _composite(sf, *subrequests, all_or_none=False) -> list[dict]:
    body = {"allOrNone": all_or_none, "compositeRequest": list(subrequests)}
    return sf.restful("composite", method="POST", json=body)["compositeResponse"]


def test_composite_all_or_none_reports_rolled_back_subrequests_as_halted(sf, emulated_org):
    responses = _composite(
        sf,
        _sub("POST", "sobjects/Account", "acct", {"Name": "Kept?"}),
        _sub("POST", "sobjects/Contact", "bad", {"FirstName": "No last name"}),
        _sub("POST", "sobjects/Account", "after", {"Name": "Never"}),
        all_or_none=True,
    )

    assert [r["httpStatusCode"] for r in responses] == [400, 400, 400]
    assert responses[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert "id" not in str(responses[0]["body"])  # no Id of a record that no longer exists
    assert responses[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert responses[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert emulated_org.control.records("Account") == []


def test_composite_references_into_query_results(sf):
    sf.Account.create({"Name": "Found Co"})

    responses = _composite(
        sf,
        _sub("GET", "query/?q=SELECT+Id,Name+FROM+Account", "found"),
        _sub("POST", "sobjects/Contact", "ct", {"LastName": "Linked", "AccountId": "@{found.records[0].Id}"}),
        _sub("GET", "sobjects/Contact/@{ct.id}?fields=AccountId", "read"),
    )

    assert [r["httpStatusCode"] for r in responses] == [200, 201, 200]
    assert responses[2]["body"]["AccountId"] == responses[0]["body"]["records"][0]["Id"]


def test_composite_an_unresolvable_reference_is_an_error_not_a_literal(sf, emulated_org):
    responses = _composite(
        sf,
        _sub("GET", "query/?q=SELECT+Id+FROM+Account", "none"),
        _sub("POST", "sobjects/Contact", "ct", {"LastName": "X", "AccountId": "@{none.records[0].Id}"}),
    )

    assert responses[1]["httpStatusCode"] == 400
    assert "none.records[0].Id" in responses[1]["body"][0]["message"]
    assert emulated_org.control.records("Contact") == []


def test_composite_batch_halt_on_error_answers_412_for_the_rest(sf, emulated_org):
    batch = sf.restful(
        "composite/batch",
        method="POST",
        json={
            "haltOnError": True,
            "batchRequests": [
                {"method": "POST", "url": "v59.0/sobjects/Account", "richInput": {"Name": "First"}},
                {"method": "POST", "url": "v59.0/sobjects/Contact", "richInput": {"FirstName": "No last name"}},
                {"method": "POST", "url": "v59.0/sobjects/Account", "richInput": {"Name": "Third"}},
                {"method": "GET", "url": "v59.0/limits"},
            ],
        },
    )

    assert batch["hasErrors"] is True
    assert [r["statusCode"] for r in batch["results"]] == [201, 400, 412, 412]
    assert batch["results"][2]["result"][0]["errorCode"] == "BATCH_PROCESSING_HALTED"
    assert [a["Name"] for a in emulated_org.control.records("Account")] == ["First"]


def test_composite_sobjects_retrieve_by_ids(sf):
    first = sf.Account.create({"Name": "First", "Phone": "1"})["id"]
    second = sf.Account.create({"Name": "Second", "Phone": "2"})["id"]
    missing = first[:12] + "zzz" + case_safe_suffix(first[:12] + "zzz")

    rows = sf.restful("composite/sobjects/Account", params={"ids": f"{second},{missing},{first}", "fields": "Name"})
    posted = sf.restful("composite/sobjects/Account", method="POST", json={"ids": [first], "fields": ["Phone"]})

    assert [r and r["Name"] for r in rows] == ["Second", None, "First"]
    assert set(rows[0]) == {"attributes", "Id", "Name"}
    assert posted[0]["Phone"] == "1"
