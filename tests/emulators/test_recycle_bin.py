"""Deletes, undeletes and merges as Salesforce documents them: an account's delete takes its contacts, an undelete
brings them back, a merge moves children and deletes the losers with MasterRecordId, read-only fields refuse writes.
Through the unmodified simple-salesforce over HTTPS, and a raw gRPC client for the change events."""

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from emulators.salesforce.errors import WriteError
from tests.emulators.test_pubsub import Client, headers


@pytest.fixture
def sf(emulated_org):
    return emulated_org.client()


def _all(emulated_org, sobject):
    return {r["Id"]: r for r in emulated_org.control.records(sobject, include_deleted=True)}


def test_recycle_bin_an_account_delete_takes_its_contacts_and_an_undelete_brings_them_back(sf, emulated_org):
    account = sf.Account.create({"Name": "Parent"})["id"]
    kept = sf.Account.create({"Name": "Other"})["id"]
    contacts = [sf.Contact.create({"LastName": f"C{n}", "AccountId": account})["id"] for n in range(2)]
    stranger = sf.Contact.create({"LastName": "Elsewhere", "AccountId": kept})["id"]

    sf.Account.delete(account)
    deleted = _all(emulated_org, "Contact")
    assert [deleted[c]["IsDeleted"] for c in contacts] == [True, True] and not deleted[stranger]["IsDeleted"]
    rows = sf.query_all("SELECT Id FROM Contact", include_deleted=False)["records"]
    assert [r["Id"] for r in rows] == [stranger]

    emulated_org.control.undelete_records("Account", [account])
    restored = _all(emulated_org, "Contact")
    assert [(restored[c]["IsDeleted"], restored[c]["AccountId"]) for c in contacts] == [(False, account)] * 2


def test_recycle_bin_a_locked_contact_stops_its_accounts_delete(sf, emulated_org):
    account = sf.Account.create({"Name": "Parent"})["id"]
    sf.Contact.create({"LastName": "Locked", "AccountId": account})
    emulated_org.control.add_rule({"name": "lock", "type": "locked", "object": "Contact", "condition": "Id != null"})

    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Account.delete(account)

    assert refused.value.content[0]["errorCode"] == "ENTITY_IS_LOCKED"
    assert not any(r["IsDeleted"] for r in _all(emulated_org, "Contact").values())
    assert not _all(emulated_org, "Account")[account]["IsDeleted"]


def test_recycle_bin_a_merge_moves_children_deletes_the_loser_with_master_record_id(sf, emulated_org):
    emulated_org.control.set_timings(pubsub_keepalive_seconds=0.2)
    winner = sf.Account.create({"Name": "Winner"})["id"]
    loser = sf.Account.create({"Name": "Loser", "Phone": "123"})["id"]
    child = sf.Contact.create({"LastName": "Moved", "AccountId": loser})["id"]
    stamp = _all(emulated_org, "Contact")[child]["SystemModstamp"]
    client = Client(emulated_org)
    try:
        client.subscribe()
        emulated_org.control.merge_records("Account", winner, [loser], {"Phone": "123"})
        events = client.events(2)
    finally:
        client.close()

    accounts = _all(emulated_org, "Account")
    assert (accounts[loser]["IsDeleted"], accounts[loser]["MasterRecordId"]) == (True, winner)
    assert (accounts[winner]["IsDeleted"], accounts[winner]["Phone"]) == (False, "123")
    moved = _all(emulated_org, "Contact")[child]
    assert moved["AccountId"] == winner and moved["SystemModstamp"] == stamp  # reparented without a trigger
    assert headers(events) == [("DELETE", "Account", [loser]), ("UPDATE", "Account", [winner])]
    row = sf.query_all(f"SELECT Id, MasterRecordId FROM Account WHERE Id = '{loser}'", include_deleted=True)
    assert row["records"][0]["MasterRecordId"] == winner


def test_recycle_bin_merge_refuses_objects_salesforce_does_not_merge_and_too_many_losers(sf, emulated_org):
    products = [sf.Product2.create({"Name": f"P{n}"})["id"] for n in range(2)]
    accounts = [sf.Account.create({"Name": f"A{n}"})["id"] for n in range(4)]

    with pytest.raises(WriteError) as product:
        emulated_org.control.merge_records("Product2", products[0], [products[1]])
    with pytest.raises(WriteError) as too_many:
        emulated_org.control.merge_records("Account", accounts[0], accounts[1:])

    assert product.value.code == "INVALID_TYPE" and too_many.value.code == "INVALID_ID_FIELD"
    assert not any(r["IsDeleted"] for r in _all(emulated_org, "Account").values())


def test_recycle_bin_master_record_id_is_read_only(sf):
    fields = {f["name"]: f for f in sf.Account.describe()["fields"]}
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Account.create({"Name": "Forged", "MasterRecordId": "001000000000001AAA"})

    assert (fields["MasterRecordId"]["createable"], fields["MasterRecordId"]["updateable"]) == (False, False)
    assert refused.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
