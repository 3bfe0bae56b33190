"""Applying Salesforce rows to the website's records in bulk, with no echo upstream.

Rows are matched by Salesforce Id, then by SCID (External_ID__c) for records created upstream; parents are
resolved by Salesforce Id or SCID; a row whose parent is not here yet is kept as a pending downstream event
and tried again on the next poll. A row whose data hash equals the record's last applied hash is skipped.
Conflict rule: a field with a pending upstream change keeps the local value (the pending push wins).
A partial row (a Change Data Capture UPDATE: only the fields it changed, marked PARTIAL) keeps the record's values
for the fields it does not carry; one for a record not on the website is left `unread` for a poll to fetch whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.salesforce import PARTIAL

from .bulk_sql import insert_rows, update_rows, write_each_alone
from .failures import EventFailure, first_line, report_failures
from .models import ChangeEvent
from .org_deletes import OrgDeletes
from .outbox import requeue_restored
from .recording import build_event, jsonable, recording_suppressed, schedule_dispatch, store_id_of
from .registry import STORE_FIELD, SyncMapping, registry
from .signals import RecordChanges, announce
from .summaries import Tally
from .values import RowError, from_salesforce, state_hash

Status = ChangeEvent.Status


@dataclass
class ApplySummary(Tally):
    created: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: int = 0
    waiting: int = 0
    failed: int = 0


class ParentMissing(Exception):
    """The row's parent is not on the website yet: the row waits."""


class Applier:
    def __init__(self, org, mapping: SyncMapping):
        self.org, self.mapping, self.model = org, mapping, mapping.model
        self.summary = ApplySummary()
        self.failures: list[EventFailure] = []
        self.events: list[ChangeEvent] = []
        self.changes = RecordChanges(self.model, org.pk)  # announced to the side effects
        self.unread: list[str] = []  # partial rows of records not here: the org must be read for them
        self.still_waiting: set[str] = set()  # Salesforce Ids of rows held for a parent after this run
        self.rehashed: list = []  # records the row changes nothing of: only their hash and Id are written

    def apply(self, rows: list[dict]) -> ApplySummary:
        """Apply rows (newest wins per Id) in one transaction; returns what happened.

        The same transaction runs the side effects of what was written (keys, stock, media), announced outside
        the suppression, so what they change (a product's stock level) is recorded and goes upstream."""
        latest = {row["Id"]: row for row in rows}
        live = [r for r in latest.values() if not r.get("IsDeleted")]
        deleted = [r for r in latest.values() if r.get("IsDeleted")]
        with transaction.atomic():
            with recording_suppressed():
                self._apply_live(live)
                OrgDeletes(self).apply(deleted)
                insert_rows(ChangeEvent, self.events)
                self._settle_pending(latest)
                for failure in self.failures:  # few: saved one by one so their sync errors can point at them
                    failure.event.save()
                report_failures(self.failures)
            announce(self.changes)
        return self.summary

    # --- matching ---------------------------------------------------------------------------------------------
    def _existing(self, live: list[dict]) -> tuple[dict, dict]:
        objects = self.model._default_manager.filter(org=self.org)
        by_sfid = {o.salesforce_id: o for o in objects.filter(salesforce_id__in=[r["Id"] for r in live])}
        scids = [r.get("External_ID__c") for r in live if r.get("External_ID__c")]
        by_scid = {o.scid: o for o in objects.filter(scid__in=scids)}
        return by_sfid, by_scid

    def _parents(self, live: list[dict]) -> dict[str, tuple[dict, dict]]:
        """For each lookup: Salesforce Id -> pk and SCID -> pk of the parents these rows name."""
        resolved = {}
        for link in self.mapping.parents:
            parent_model = registry.for_sobject(link.sobject).model
            ids = {r.get(link.lookup) for r in live if r.get(link.lookup)}
            scids = {(r.get(link.relationship) or {}).get("External_ID__c") for r in live} - {None}
            rows = parent_model._default_manager.filter(org=self.org)
            by_id = dict(rows.filter(salesforce_id__in=ids).values_list("salesforce_id", "pk"))
            by_scid = dict(rows.filter(scid__in=scids).values_list("scid", "pk"))
            resolved[link.field] = (by_id, by_scid)
        return resolved

    def _values(self, row: dict, parents: dict, existing=None) -> dict:
        """The record's values from the row; a partial row's absent fields keep the existing record's."""
        kept = row.get(PARTIAL) and existing is not None
        values = {}
        for model_field_name, salesforce_field in self.mapping.read_fields.items():
            if kept and salesforce_field not in row:
                values[model_field_name] = getattr(existing, model_field_name)
                continue
            values[model_field_name] = from_salesforce(
                self.model._meta.get_field(model_field_name), row.get(salesforce_field)
            )
        for link in self.mapping.parents:
            attname = self.model._meta.get_field(link.field).attname
            if kept and link.lookup not in row:
                values[attname] = getattr(existing, attname)
                continue
            parent_id = row.get(link.lookup)
            if not parent_id:
                values[attname] = None
                continue
            by_id, by_scid = parents[link.field]
            scid = (row.get(link.relationship) or {}).get("External_ID__c")
            pk = by_id.get(parent_id) or by_scid.get(scid)
            if pk is None:
                raise ParentMissing(f"{link.sobject} {parent_id} is not on the website yet")
            values[attname] = pk
        return values

    def _pending_upstream_fields(self, pks: list[int]) -> dict[int, set[str]]:
        """Fields with an upstream change not yet in Salesforce, per record: they keep their local value."""
        pending: dict[int, set[str]] = {}
        events = (
            ChangeEvent.objects.upstream()
            .open()
            .filter(model_label=self.mapping.label, object_pk__in=pks)
            .values_list("object_pk", "changed_fields")
        )
        for pk, changed in events:
            pending.setdefault(pk, set()).update(changed or {})
        return pending

    def _pending_upstream_deletes(self, unmatched: list[dict]) -> set[str]:
        """Salesforce Ids and SCIDs of rows with no website record because the website deleted them and the delete
        has not reached Salesforce yet: such a row must not bring the record back."""
        if not unmatched:
            return set()
        ids = [r["Id"] for r in unmatched]
        scids = [r["External_ID__c"] for r in unmatched if r.get("External_ID__c")]
        deletes = (
            ChangeEvent.objects.upstream()
            .open()
            .filter(org=self.org, model_label=self.mapping.label, event_type=ChangeEvent.EventType.DELETE)
            .filter(Q(salesforce_id__in=ids) | Q(scid__in=scids))
            .values_list("salesforce_id", "scid")
        )
        return {value for pair in deletes for value in pair if value}

    # --- live rows --------------------------------------------------------------------------------------------
    def _apply_live(self, live: list[dict]) -> None:
        if not live:
            return
        by_sfid, by_scid = self._existing(live)
        parents = self._parents(live)
        matched = [by_sfid.get(r["Id"]) or by_scid.get(r.get("External_ID__c") or "") for r in live]
        pending = self._pending_upstream_fields([o.pk for o in matched if o is not None])
        deleting = self._pending_upstream_deletes([r for r, o in zip(live, matched, strict=True) if o is None])
        creates, updates, lacking_scid = [], [], []
        for row, existing in zip(live, matched, strict=True):
            if existing is None and {row["Id"], row.get("External_ID__c")} & deleting:
                self.summary.skipped += 1  # the website deleted it and the delete is on its way: it wins
                continue
            if existing is not None and existing.salesforce_id and existing.salesforce_id != row["Id"]:
                message = (
                    f"External_ID__c {row.get('External_ID__c')} is already the website's record for "
                    f"{self.mapping.sobject} {existing.salesforce_id}: two Salesforce records share it"
                )
                self._cannot_apply(row, "CANNOT_APPLY_DOWNSTREAM", message, None)
                continue
            if existing is None and row.get(PARTIAL):
                self.unread.append(row["Id"])
                continue
            try:
                values = self._values(row, parents, existing)
            except ParentMissing as exc:
                self._keep_waiting(row, str(exc))
                continue
            except RowError as exc:
                self._cannot_apply(row, "CANNOT_APPLY_DOWNSTREAM", str(exc), existing)
                continue
            digest = state_hash(values)
            if existing is not None and existing.salesforce_hash == digest and existing.salesforce_id == row["Id"]:
                record = existing
                self.summary.skipped += 1
            elif existing is None:
                record = self._new_record(row, values, digest)
                creates.append(record)
            else:
                record = self._updated_record(existing, row, values, digest, pending.get(existing.pk, set()))
                if record._downstream_changed:
                    updates.append(record)
                else:  # nothing of the website's changes (the website's own push coming back): no event
                    self.rehashed.append(record)
                    self.summary.skipped += 1
            record._row = row
            if self._lacks_scid(row) and (existing is None or existing.pk not in pending):
                lacking_scid.append(record)
        self._write(creates, updates)
        OrgDeletes(self).relink([r for r in creates if r.pk])
        requeue_restored(self.org.pk, self.mapping.label, pending)  # only records with open changes can have one
        self._write_back_scids([r for r in lacking_scid if r.pk])

    def _new_record(self, row: dict, values: dict, digest: str):
        record = self.model(org=self.org, salesforce_id=row["Id"], salesforce_hash=digest, **values)
        if row.get("External_ID__c"):
            record.scid = row["External_ID__c"]
        store_id = self._store_for(row, values)
        if store_id is not None:
            record.store_id = store_id
        return record

    def _updated_record(self, record, row: dict, values: dict, digest: str, keep_local: set[str]):
        changed = []
        for name, value in values.items():
            if name in keep_local:
                continue  # the pending push wins
            if getattr(record, name) != value:
                setattr(record, name, value)
                changed.append(name)
        record.salesforce_id, record.salesforce_hash = row["Id"], digest
        record._downstream_changed = changed
        return record

    def _store_for(self, row: dict, values: dict) -> int | None:
        if self.mapping.store_path != "store":
            return None
        field = self.model._meta.get_field("store")
        stores = list(self.org.stores.filter(active=True).values_list("pk", "name", "domain"))
        named = row.get(STORE_FIELD)
        for pk, name, domain in stores:
            if named and named in (name, domain):
                return pk
        if field.null:
            return None
        if not stores:
            raise RowError("the org has no active store to own this record")
        return stores[0][0]

    def _store_of_row(self, row: dict, existing) -> int | None:
        """The store a waiting or refused row's event and error belong to: its record's; else the store the row
        names (or would be given); else its parent's (an OrderItem's Order). None for org-shared objects, or when
        it cannot be known (then only superusers see the error of an object that always has a store)."""
        if not self.mapping.store_path:
            return None
        if existing is not None and existing.pk:
            return store_id_of(existing, self.mapping)
        step, _, rest = self.mapping.store_path.partition("__")
        if not rest:
            try:
                return self._store_for(row, {})
            except RowError:
                return None
        link = self.mapping.parent(step)
        scid = (row.get(link.relationship) or {}).get("External_ID__c")
        match = Q(salesforce_id=row[link.lookup]) if row.get(link.lookup) else Q(pk__in=[])
        if scid:
            match |= Q(scid=scid)
        parents = registry.for_sobject(link.sobject).model._default_manager.filter(org=self.org)
        return parents.filter(match).values_list(rest, flat=True).first()

    def _lacks_scid(self, row: dict) -> bool:
        """The org's record has no External_ID__c (a record born in Salesforce, or one whose SCID was cleared)."""
        external_id = self.mapping.external_id
        return (external_id in row or not row.get(PARTIAL)) and not row.get(external_id)

    def _write_back_scids(self, records: list) -> None:
        """Each record's SCID goes to the org as an upstream change (sent by Id with the next dispatch, 200 a
        Collections call), so both sides hold one identity and a failure shows in the console with its fix."""
        if not records or not self.mapping.syncs_upstream:
            return
        on = self.changes.triggers_enabled()
        status = Status.PENDING if on else Status.UNSENT
        stores = self.mapping.store_ids(r.pk for r in records)
        for record in records:
            changed = {"scid": record.scid}
            event = build_event(record, self.mapping, "update", changed, status, store_id=stores.get(record.pk))
            self.events.append(event)
        if on:
            schedule_dispatch(self.org.pk)

    def _write(self, creates: list, updates: list) -> None:
        if creates:
            creates = self._each_alone(creates, lambda records: insert_rows(self.model, records))
            pks = dict(
                self.model._default_manager.filter(
                    org=self.org, salesforce_id__in=[r.salesforce_id for r in creates]
                ).values_list("salesforce_id", "pk")
            )
            for record in creates:
                record.pk = pks[record.salesforce_id]
            self.summary.created += len(creates)
            self.changes.created += [r.pk for r in creates]
        if updates:
            names = sorted({n for r in updates for n in r._downstream_changed} | {"salesforce_id", "salesforce_hash"})
            fields = [self.model._meta.get_field(n).name for n in names]
            updates = self._each_alone(updates, lambda records: update_rows(self.model, records, fields))
            self.summary.updated += len(updates)
            self.changes.updated.update({r.pk: set(r._downstream_changed) for r in updates if r._downstream_changed})
        update_rows(self.model, self.rehashed, ["salesforce_id", "salesforce_hash"])
        written = [(r, "create") for r in creates] + [(r, "update") for r in updates]
        stores = self.mapping.store_ids(r.pk for r, _ in written)
        for record, event_type in written:
            names = self.mapping.tracked_fields if event_type == "create" else record._downstream_changed
            changed = {name: jsonable(getattr(record, name)) for name in names}
            event = self._event(record.pk, record.scid, record.salesforce_id, event_type, Status.SYNCED, changed)
            event.store_id = stores.get(record.pk)
            self.events.append(event)

    def _each_alone(self, records: list, write) -> list:
        """Write the records; a row the database refuses fails alone, as a CANNOT_APPLY_DOWNSTREAM error."""

        def refused(record, exc) -> None:
            message = f"the website refused it: {first_line(exc)}"
            self._cannot_apply(record._row, "CANNOT_APPLY_DOWNSTREAM", message, record if record.pk else None)

        return write_each_alone(records, write, refused)

    def _event(self, pk, scid, salesforce_id, event_type, status, changed=None) -> ChangeEvent:
        return ChangeEvent(
            org=self.org,
            direction=ChangeEvent.Direction.DOWNSTREAM,
            sobject=self.mapping.sobject,
            model_label=self.mapping.label,
            object_pk=pk,
            event_type=event_type,
            changed_fields=changed or {},
            scid=scid or "",
            salesforce_id=salesforce_id,
            status=status,
            processed_at=timezone.now() if status != Status.PENDING else None,
        )

    # --- deletes, waiting and failed rows --------------------------------------------------------------------
    def _of_row(self, row_id: str):
        """This org's downstream events of the row (a sandbox copy shares record Ids with production)."""
        return ChangeEvent.objects.downstream().filter(org=self.org, sobject=self.mapping.sobject, salesforce_id=row_id)

    def _keep_waiting(self, row: dict, reason: str) -> None:
        self.still_waiting.add(row["Id"])
        exists = self._of_row(row["Id"]).pending()
        store_id = self._store_of_row(row, None)
        if exists.exists():
            exists.update(changed_fields=row, last_message=reason, store_id=store_id)
        else:
            event = self._event(None, row.get("External_ID__c"), row["Id"], "update", Status.PENDING, row)
            event.last_message, event.store_id = reason, store_id
            self.events.append(event)
        self.summary.waiting += 1

    def _cannot_apply(self, row: dict, code: str, message: str, existing) -> None:
        """One failed event (and sync error) per row: read again while it is unresolved, it only refreshes it."""
        self.summary.failed += 1
        store_id = self._store_of_row(row, existing)
        refreshed = self._of_row(row["Id"]).failed()
        if refreshed.update(changed_fields=row, last_status_code=code, last_message=message, store_id=store_id):
            return
        event = self._event(
            existing.pk if existing else None, row.get("External_ID__c"), row["Id"], "update", Status.FAILED, row
        )
        event.last_status_code, event.last_message, event.store_id = code, message, store_id
        self.failures.append(EventFailure(event, code, message, [], json.dumps(row, default=str), row))

    def _settle_pending(self, latest: dict) -> None:
        """Waiting rows of this object that were applied now are done (those held again stay pending)."""
        ChangeEvent.objects.downstream().pending().filter(
            org=self.org,
            sobject=self.mapping.sobject,
            salesforce_id__in=[i for i in latest if i not in self.still_waiting],
        ).update(status=Status.SYNCED, processed_at=timezone.now())
