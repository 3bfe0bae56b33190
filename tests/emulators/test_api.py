"""The emulated org's REST API through unmodified simple-salesforce over HTTPS."""

import datetime
import json

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceMoreThanOneRecord

from emulators.salesforce import EmulatedOrg
from emulators.salesforce.ids import case_safe_suffix, is_valid_id


@pytest.fixture
def sf(emulated_org):
    return emulated_org.client()


def test_api_ids_have_real_prefixes_and_a_case_safe_suffix(sf):
    account = sf.Account.create({"Name": "Acme"})["id"]
    contact = sf.Contact.create({"LastName": "X", "AccountId": account})["id"]

    assert account.startswith("001") and contact.startswith("003")
    assert len(account) == 18 and is_valid_id(account)
    assert account[15:] == case_safe_suffix(account[:15])


def test_api_create_get_update_delete_soft(sf, emulated_org):
    created = sf.Account.create({"Name": "Acme", "Phone": "1"})
    assert sf.Account.update(created["id"], {"Phone": "2"}) == 204
    fetched = sf.Account.get(created["id"])
    assert fetched["Phone"] == "2" and fetched["IsDeleted"] is False
    assert fetched["CreatedDate"].endswith("+0000")

    assert sf.Account.delete(created["id"]) == 204

    assert emulated_org.control.records("Account") == []
    deleted = sf.query_all("SELECT Id, IsDeleted FROM Account", include_deleted=True)["records"]
    assert [(r["Id"], r["IsDeleted"]) for r in deleted] == [(created["id"], True)]


def test_api_upsert_by_external_id_created_then_updated_then_several_matches(sf, emulated_org, org_schema):
    # an external ID field that is not unique, as an org may have one
    org_schema["objects"]["Account"]["fields"]["Legacy_ID__c"] = {"type": "string", "externalId": True}
    emulated_org.control.load_schema(org_schema)
    assert sf.Account.upsert("External_ID__c/SC-1", {"Name": "One"}) == 201
    assert sf.Account.upsert("External_ID__c/SC-1", {"Name": "Uno"}) == 200
    assert sf.Account.get_by_custom_id("External_ID__c", "SC-1")["Name"] == "Uno"
    sf.Account.create({"Name": "Twin", "Legacy_ID__c": "L-1"})
    sf.Account.create({"Name": "Twin", "Legacy_ID__c": "l-1"})

    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Account.get_by_custom_id("Legacy_ID__c", "L-1")
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Account.upsert("Legacy_ID__c/L-1", {"Name": "Which?"})


def test_api_describe_global_and_object(sf):
    names = {o["name"]: o["keyPrefix"] for o in sf.describe()["sobjects"]}
    fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}

    assert names["OrderItem"] == "802" and names["Case"] == "500"
    assert fields["External_ID__c"]["externalId"] is True
    assert fields["AccountId"]["referenceTo"] == ["Account"]


def test_api_get_updated_and_deleted(sf):
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    kept = sf.Account.create({"Name": "Kept"})["id"]
    gone = sf.Account.create({"Name": "Gone"})["id"]
    sf.Account.delete(gone)
    end = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)

    assert sf.Account.updated(start, end)["ids"] == [kept]
    assert [d["id"] for d in sf.Account.deleted(start, end)["deletedRecords"]] == [gone]


def test_api_naive_datetimes_in_get_updated_are_refused(sf):
    with pytest.raises(SalesforceMalformedRequest):
        sf.Account.updated(datetime.datetime(2026, 1, 1), datetime.datetime(2026, 1, 2))


def test_api_query_paging_5000_rows_in_3_pages_with_shared_modstamps(sf, emulated_org):
    for start in range(0, 5000, 200):  # each Collections call stamps 200 rows with one SystemModstamp
        emulated_org.control.create_records("Account", [{"Name": f"A{n:05d}"} for n in range(start, start + 200)])
    calls = emulated_org.control.call_count()

    page = sf.query("SELECT Id, Name, SystemModstamp FROM Account ORDER BY SystemModstamp, Id")
    rows, pages = list(page["records"]), 1
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        rows.extend(page["records"])
        pages += 1

    assert (pages, len(rows), emulated_org.control.call_count() - calls) == (3, 5000, 3)
    assert len({r["Id"] for r in rows}) == 5000
    assert len({r["SystemModstamp"] for r in rows}) == 25


def test_api_query_batch_size_header(emulated_org):
    emulated_org.control.create_records("Account", [{"Name": f"A{n}"} for n in range(450)])
    sf = emulated_org.client()
    sf.headers["Sforce-Query-Options"] = "batchSize=200"

    page = sf.query("SELECT Id FROM Account")

    assert len(page["records"]) == 200 and page["totalSize"] == 450


def test_api_soql_subset(sf, emulated_org):
    account = sf.Account.create({"Name": "Parent Co"})["id"]
    emulated_org.control.create_records(
        "Contact",
        [
            {"LastName": "Able", "Email": "a@example.com", "AccountId": account},
            {"LastName": "Baker", "AccountId": account},
            {"LastName": "Charlie", "Email": "c@example.com"},
        ],
    )

    def names(where, order="LastName"):
        result = sf.query(f"SELECT LastName, Account.Name FROM Contact WHERE {where} ORDER BY {order}")
        return [r["LastName"] for r in result["records"]]

    assert names("Email = null") == ["Baker"]
    assert names("Email != null AND (LastName LIKE 'A%' OR LastName IN ('Charlie'))") == ["Able", "Charlie"]
    assert names("NOT LastName IN ('Able') AND Account.Name = 'Parent Co'") == ["Baker"]
    assert names("LastName NOT IN ('Able')", "Email DESC NULLS LAST, LastName") == ["Charlie", "Baker"]
    assert names("CreatedDate > 2020-01-01T00:00:00Z AND LastName >= 'B'") == ["Baker", "Charlie"]
    with_parent = sf.query("SELECT LastName, Account.Name FROM Contact WHERE LastName = 'Able'")["records"][0]
    assert with_parent["Account"]["Name"] == "Parent Co"
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 3
    assert [
        r["LastName"] for r in sf.query("SELECT LastName FROM Contact ORDER BY LastName LIMIT 1 OFFSET 1")["records"]
    ] == ["Baker"]


def test_api_malformed_query_and_unknown_field(sf):
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT FROM WHERE")
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.query("SELECT Shoe_Size__c FROM Contact")

    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert unknown.value.content[0]["errorCode"] == "INVALID_FIELD"


def collection(sf, method, path, records=None, all_or_none=False, **kwargs):
    body = {"allOrNone": all_or_none, "records": records} if records is not None else None
    return sf.restful(path, method=method, json=body, **kwargs)


def test_api_collections_create_update_upsert_delete(sf):
    created = collection(
        sf,
        "POST",
        "composite/sobjects",
        [
            {"attributes": {"type": "Account"}, "Name": "A"},
            {"attributes": {"type": "Account"}},
        ],
    )
    assert [r["success"] for r in created] == [True, False]
    assert created[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"

    updated = collection(
        sf, "PATCH", "composite/sobjects", [{"attributes": {"type": "Account"}, "id": created[0]["id"], "Phone": "9"}]
    )
    upserted = collection(
        sf,
        "PATCH",
        "composite/sobjects/Contact/External_ID__c",
        [
            {
                "attributes": {"type": "Contact"},
                "External_ID__c": "SC-C1",
                "LastName": "L",
                "Account": {"External_ID__c": "missing"},
            },
            {"attributes": {"type": "Contact"}, "External_ID__c": "SC-C2", "LastName": "M"},
        ],
    )
    deleted = sf.restful(
        "composite/sobjects",
        method="DELETE",
        params={"ids": f"{created[0]['id']},001000000000000AAA", "allOrNone": "false"},
    )

    assert updated[0]["success"] is True
    assert upserted[0]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert "Foreign key external ID: missing not found" in upserted[0]["errors"][0]["message"]
    assert upserted[1] == {"id": upserted[1]["id"], "success": True, "errors": [], "created": True}
    assert [r["success"] for r in deleted] == [True, False]


def test_api_collections_all_or_none_rolls_back(sf, emulated_org):
    results = collection(
        sf,
        "POST",
        "composite/sobjects",
        [
            {"attributes": {"type": "Account"}, "Name": "Good"},
            {"attributes": {"type": "Account"}, "Name": "Bad", "Nope__c": 1},
        ],
        all_or_none=True,
    )

    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert emulated_org.control.records("Account") == []


def test_api_collections_over_200_records(sf):
    with pytest.raises(SalesforceMalformedRequest) as info:
        collection(
            sf, "POST", "composite/sobjects", [{"attributes": {"type": "Account"}, "Name": str(n)} for n in range(201)]
        )

    assert info.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_api_composite_with_references_and_batch(sf):
    graph = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": "/services/data/v59.0/sobjects/Account",
                    "referenceId": "acct",
                    "body": {"Name": "Ref Co"},
                },
                {
                    "method": "POST",
                    "url": "/services/data/v59.0/sobjects/Contact",
                    "referenceId": "ct",
                    "body": {"LastName": "Ref", "AccountId": "@{acct.id}"},
                },
                {"method": "GET", "url": "/services/data/v59.0/sobjects/Contact/@{ct.id}", "referenceId": "read"},
            ],
        },
    )["compositeResponse"]
    batch = sf.restful(
        "composite/batch",
        method="POST",
        json={
            "batchRequests": [
                {"method": "GET", "url": "v59.0/query/?q=SELECT+Id+FROM+Account"},
                {"method": "GET", "url": "v59.0/queryAll/?q=SELECT+Id+FROM+Contact"},
            ]
        },
    )

    assert [r["httpStatusCode"] for r in graph] == [201, 201, 200]
    assert graph[2]["body"]["AccountId"] == graph[0]["body"]["id"]
    assert batch["hasErrors"] is False
    assert [r["result"]["totalSize"] for r in batch["results"]] == [1, 1]


def test_api_limits_and_usage_header(sf, emulated_org):
    limits = sf.limits()

    assert limits["DailyApiRequests"]["Max"] == 1_000_000
    assert sf.api_usage["api-usage"].used == emulated_org.control.call_count()


def test_api_bulk2_upsert_failed_results_and_query(sf, emulated_org):
    rows = [{"External_ID__c": f"B{n}", "LastName": f"L{n}"} for n in range(300)] + [
        {"External_ID__c": "B-bad", "LastName": ""}
    ]

    first = sf.bulk2.Contact.upsert(records=rows, external_id_field="External_ID__c", wait=0.05)
    again = sf.bulk2.Contact.upsert(records=rows, external_id_field="External_ID__c", wait=0.05)
    failed = sf.bulk2.Contact.get_failed_records(first[0]["job_id"])
    pages = list(sf.bulk2.Contact.query("SELECT Id, LastName FROM Contact", max_records=200, wait=0.05))

    assert (first[0]["numberRecordsProcessed"], first[0]["numberRecordsFailed"]) == (301, 1)
    assert len(emulated_org.control.records("Contact")) == 300 == again[0]["numberRecordsProcessed"] - 1
    failed_lines = failed.strip().splitlines()
    assert failed_lines[0].startswith('"sf__Id","sf__Error"') and len(failed_lines) == 2
    assert '"REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"' in failed_lines[1]
    assert '"B-bad"' in failed_lines[1]
    assert len(pages) == 2 and sum(p.count("\n") - 1 for p in pages) == 300


def test_api_faults_5xx_latency_and_response_lost(sf, emulated_org):
    emulated_org.control.inject_fault({"type": "http_5xx", "count": 1, "status": 503})
    with pytest.raises(Exception) as unavailable:
        sf.query("SELECT Id FROM Account")
    assert "SERVER_UNAVAILABLE" in str(unavailable.value)

    emulated_org.control.inject_fault({"type": "response_lost", "count": 1})
    with pytest.raises(requests.ConnectionError):
        sf.Account.create({"Name": "Applied"})
    assert [r["Name"] for r in emulated_org.control.records("Account")] == ["Applied"]


def test_api_oauth_token_issues_sessions_and_unknown_sessions_get_401(emulated_org):
    session = requests.Session()
    session.verify, session.trust_env = str(emulated_org.ca_file), False
    token = session.post(
        f"{emulated_org.instance_url}/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
    ).json()
    ok = session.get(
        f"{emulated_org.instance_url}/services/data/v59.0/limits/",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    refused = session.get(
        f"{emulated_org.instance_url}/services/data/v59.0/limits/", headers={"Authorization": "Bearer nope"}
    )

    assert token["instance_url"] == emulated_org.instance_url
    assert ok.status_code == 200 and "api-usage=" in ok.headers["Sforce-Limit-Info"]
    assert refused.status_code == 401 and refused.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_api_control_over_http(emulated_org):
    session = requests.Session()
    session.verify, session.trust_env = str(emulated_org.ca_file), False
    session.headers["X-Emulator-Token"] = emulated_org.control_token
    base = f"{emulated_org.instance_url}/_emulator"

    added = session.post(f"{base}/add_rule", json={"rule": {"type": "unknown", "object": "Case"}})
    bad = session.post(f"{base}/add_rule", json={"rule": {"type": "nonsense", "object": "Case"}})
    count = session.get(f"{base}/call_count")

    assert added.status_code == 200 and added.json()["result"]["type"] == "unknown"
    assert bad.status_code == 400 and "unknown rule type 'nonsense'" in bad.json()["error"]
    assert count.json() == {"result": 0}


def test_api_control_reads_answer_get_with_query_arguments(emulated_org):
    session = requests.Session()
    session.verify, session.trust_env = str(emulated_org.ca_file), False
    session.headers["X-Emulator-Token"] = emulated_org.control_token
    base = f"{emulated_org.instance_url}/_emulator"
    kept, gone = emulated_org.control.create_records("Contact", [{"LastName": "Kept"}, {"LastName": "Gone"}])
    emulated_org.control.delete_records("Contact", [gone])

    live = session.get(f"{base}/records", params={"sobject": "Contact"})
    everything = session.get(f"{base}/records", params={"sobject": "Contact", "include_deleted": "true"})
    missing = session.get(f"{base}/records")
    write_by_get = session.get(f"{base}/reset")

    assert live.status_code == 200 and [r["Id"] for r in live.json()["result"]] == [kept]
    assert [r["IsDeleted"] for r in everything.json()["result"]] == [False, True]
    assert missing.status_code == 400 and "sobject" in missing.json()["error"]
    assert write_by_get.status_code == 405 and "use POST /_emulator/reset" in write_by_get.json()["error"]
    assert len(emulated_org.control.records("Contact")) == 1  # the GET changed nothing


def test_api_control_removes_a_rule_by_name(emulated_org):
    session = requests.Session()
    session.verify, session.trust_env = str(emulated_org.ca_file), False
    session.headers["X-Emulator-Token"] = emulated_org.control_token
    base = f"{emulated_org.instance_url}/_emulator"
    session.post(f"{base}/add_rule", json={"rule": {"name": "no-x", "type": "validation", "object": "Lead",
                                                    "condition": "LastName = 'X'", "message": "no X"}})  # fmt: skip
    session.post(f"{base}/add_rule", json={"rule": {"type": "unknown", "object": "Case"}})

    listed = session.get(f"{base}/rules").json()["result"]
    removed = session.post(f"{base}/remove_rule", json={"name": "no-x"})
    again = session.post(f"{base}/remove_rule", json={"name": "no-x"})
    duplicate = session.post(f"{base}/add_rule", json={"rule": {"name": "unknown-case-2", "type": "flow",
                                                                "object": "Case"}})  # fmt: skip

    assert [r["name"] for r in listed] == ["no-x", "unknown-case-2"]
    assert removed.status_code == 200 and removed.json()["result"]["message"] == "no X"
    assert [r["name"] for r in emulated_org.control.rules()] == ["unknown-case-2"]
    assert (
        again.status_code == 400 and "no rule is named 'no-x'; the rules are: unknown-case-2" in again.json()["error"]
    )
    assert duplicate.status_code == 400 and "exists already" in duplicate.json()["error"]
    # the org takes the lead the removed rule refused
    assert emulated_org.client().Lead.create({"LastName": "X", "Company": "Y"})["success"] is True


def test_api_state_file_keeps_the_org_across_restarts(tmp_path):
    state = tmp_path / "org.json"
    with EmulatedOrg(state_file=state) as first:
        first.client().Account.create({"Name": "Persisted", "External_ID__c": "P-1"})
    with EmulatedOrg(state_file=state) as second:
        records = second.control.records("Account")
        created = second.client().Account.create({"Name": "Next"})

    assert [r["Name"] for r in records] == ["Persisted"]
    assert created["id"] != records[0]["Id"]
    assert json.loads(state.read_text())["records"]["Account"]


def test_api_control_needs_the_token_printed_at_start_and_files_are_private(tmp_path, emulated_shop):
    """The control API of the org and of the shop answers 401 without the control token; the connection and state
    files are readable by their owner only."""
    connection_file, state = tmp_path / "old" / "connection.json", tmp_path / "org.json"
    connection_file.parent.mkdir()
    connection_file.write_text("{}")
    connection_file.chmod(0o644)  # left by an older run: rewritten private
    with EmulatedOrg(connection_file=connection_file, state_file=state) as org:
        org.control.create_records("Contact", [{"LastName": "Secret"}])
        org.save()
        written = json.loads(connection_file.read_text())
        base = f"{org.instance_url}/_emulator"
        bare = requests.get(f"{base}/records", params={"sobject": "Contact"}, verify=str(org.ca_file))
        wrong = requests.post(f"{base}/reset", headers={"X-Emulator-Token": "guess"}, verify=str(org.ca_file))
        right = requests.get(
            f"{base}/records",
            params={"sobject": "Contact"},
            headers={"X-Emulator-Token": written["control_token"]},
            verify=str(org.ca_file),
        )
        kept = org.control.records("Contact")
    shop_base = f"{emulated_shop.shop_url}/_emulator"
    shop_bare = requests.post(f"{shop_base}/products", json={}, verify=str(emulated_shop.ca_file))
    shop_right = requests.post(
        f"{shop_base}/products",
        json={},
        headers={"X-Emulator-Token": emulated_shop.control_token},
        verify=str(emulated_shop.ca_file),
    )

    assert bare.status_code == 401 and "X-Emulator-Token" in bare.json()["error"] and "Secret" not in bare.text
    assert wrong.status_code == 401 and [r["LastName"] for r in kept] == ["Secret"]
    assert right.status_code == 200 and right.json()["result"][0]["LastName"] == "Secret"
    assert written["control_token"] == org.control_token
    assert connection_file.stat().st_mode & 0o777 == 0o600
    assert state.stat().st_mode & 0o777 == 0o600
    assert shop_bare.status_code == 401 and shop_right.status_code == 200


def test_api_describe_has_labels_child_relationships_record_types_and_standard_account_fields(sf):
    account = sf.Account.describe()
    fields = {f["name"]: f for f in account["fields"]}
    children = {c["relationshipName"]: (c["childSObject"], c["field"]) for c in account["childRelationships"]}

    assert (account["label"], account["labelPlural"]) == ("Account", "Accounts")
    assert {"Type", "Industry", "AnnualRevenue", "NumberOfEmployees", "ShippingCountryCode"} <= set(fields)
    assert "Customer - Direct" in [v["value"] for v in fields["Type"]["picklistValues"]]
    assert (fields["Name"]["label"], fields["Name"]["length"]) == ("Account Name", 255)
    assert fields["BillingStreet"]["label"] == "Billing Street"
    assert fields["Id"]["label"] == "Account ID"
    assert children["Contacts"] == ("Contact", "AccountId")
    assert children["ChildAccounts"] == ("Account", "ParentId")
    assert [r["name"] for r in account["recordTypeInfos"]] == ["Master"]
    assert sf.Contact.describe()["fields"][1]["length"] == 80  # LastName, as in Salesforce
    assert {f["name"]: f for f in sf.Product2.describe()["fields"]}["Stock_Level__c"]["length"] == 0
