"""Deleting, undeleting and merging records as Salesforce does.

- A delete puts the record in the Recycle Bin (IsDeleted, still read by queryAll) and cascades to the children
  Salesforce deletes with it: deleting an account deletes its contacts. The whole delete fails when one of them
  cannot be deleted. [api: sforce_api_calls_undelete.htm, "Since a delete call cascade-deletes child records, an
  undelete call undeletes the cascade-deleted records. For example, deleting an account deletes all the contacts
  associated with that account."; apexcode: langCon_apex_dml_examples_delete.htm]
- An undelete restores the record and what its delete cascaded to, with their Ids and values; one whose
  External_ID__c another live record took meanwhile is refused DUPLICATE_VALUE.
- A merge (Account, Contact, Lead; a master and up to two others [api: sforce_api_calls_merge.htm]) deletes the
  losing records with MasterRecordId set to the winner, moves their children to the winner, and updates the winner.
  Reparented children fire no triggers and get no change events [apexcode: apex_triggers_merge_statements.htm]:
  here they keep their SystemModstamp too, so a subscriber must move its own copies of them. The change events are
  the losers' DELETE and the winner's UPDATE.
"""

from __future__ import annotations

from .errors import WriteError

CASCADES = {"Account": (("Contact", "AccountId"),)}  # parent -> (child object, lookup) deleted with it
MERGEABLE = ("Account", "Contact", "Lead")
MERGE_LIMIT = 2  # losers per merge: a merge takes a master and up to two more records


class RecycleBin:
    def __init__(self, records):
        self.records = records
        self.cascaded: dict[str, list[tuple[str, str]]] = {}  # deleted parent Id -> children deleted with it

    def delete(self, sobject: str, record_id: str, ctx) -> dict:
        records = self.records
        record = records._existing(sobject, record_id)
        children = [
            (child, row)
            for child, lookup in CASCADES.get(sobject, ())
            for row in records.by_object.get(child, {}).values()
            if row.get(lookup) == record["Id"] and not row["IsDeleted"]
        ]
        for child, row in [(sobject, record), *children]:  # one that cannot go stops the whole delete
            records.rules.check_delete(records, child, row)
        for child, row in children:
            self._bin(child, row, ctx)
        self.cascaded[record["Id"]] = [(child, row["Id"]) for child, row in children]
        return self._bin(sobject, record, ctx)

    def _bin(self, sobject: str, record: dict, ctx) -> dict:
        record["IsDeleted"] = True
        record["LastModifiedDate"] = record["SystemModstamp"] = ctx.stamp
        self.records._unindex(sobject, record)
        self.records._journal(ctx, sobject, "DELETE", record, {})
        return record

    def undelete(self, sobject: str, record_id: str, ctx) -> dict:
        """Bring a deleted record back from the Recycle Bin, with its Id and values, and what its delete cascaded to."""
        record = self._restore(sobject, record_id, ctx)
        for child, child_id in self.cascaded.pop(record["Id"], []):
            row = self.records.get(child, child_id, include_deleted=True)
            if row is not None and row["IsDeleted"]:
                self._restore(child, child_id, ctx)
        return record

    def _restore(self, sobject: str, record_id: str, ctx) -> dict:
        records = self.records
        record = records.get(sobject, record_id, include_deleted=True)
        if record is None or not record["IsDeleted"]:
            raise WriteError("UNDELETE_FAILED", f"{record_id} is not in the Recycle Bin", ["Id"])
        scid = record.get("External_ID__c")
        clash = records.find(sobject, "External_ID__c", scid) if scid else []
        if clash:
            raise WriteError("DUPLICATE_VALUE", f"duplicate value found: External_ID__c on {clash[0]['Id']}", [])
        record["IsDeleted"] = False
        record["LastModifiedDate"] = record["SystemModstamp"] = ctx.stamp
        records._index(sobject, record)
        records._journal(ctx, sobject, "UNDELETE", record, record)
        return record

    def merge(self, sobject: str, winner_id: str, loser_ids: list[str], values: dict, ctx) -> dict:
        """Merge the losers into the winner: children move, the losers are deleted with MasterRecordId, the
        winner takes `values` (the fields a person kept from the losers)."""
        records = self.records
        if sobject not in MERGEABLE:
            raise WriteError("INVALID_TYPE", f"{sobject} records cannot be merged (only {', '.join(MERGEABLE)})")
        if not loser_ids or len(loser_ids) > MERGE_LIMIT or winner_id in loser_ids:
            raise WriteError("INVALID_ID_FIELD", f"a merge takes a master and 1 to {MERGE_LIMIT} other records")
        winner = records._existing(sobject, winner_id)
        losers = [records._existing(sobject, loser_id) for loser_id in loser_ids]
        for loser in losers:
            self._reparent_children(sobject, loser["Id"], winner["Id"])
            records.rules.check_delete(records, sobject, loser)
            loser["MasterRecordId"] = winner["Id"]
            self._bin(sobject, loser, ctx)
        return records.update(sobject, winner["Id"], values or {}, ctx)

    def _reparent_children(self, sobject: str, loser_id: str, winner_id: str) -> None:
        """Every live record that looks the loser up points at the winner instead (no trigger, no change event)."""
        records = self.records
        for child, obj in records.schema["objects"].items():
            lookups = [
                name
                for name, field in obj["fields"].items()
                if field["type"] == "reference" and field.get("to") == sobject and not field.get("readOnly")
            ]
            for row in records.by_object.get(child, {}).values():
                for lookup in lookups:
                    if row.get(lookup) == loser_id and not row["IsDeleted"]:
                        row[lookup] = winner_id
