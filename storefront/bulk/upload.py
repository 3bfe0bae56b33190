"""Sending loaded records to Salesforce with a Bulk API 2.0 upsert on External_ID__c; failures become sync errors."""

from __future__ import annotations

import csv
import io

from django.db import transaction

from changeevents.bulk_sql import update_rows
from changeevents.failures import EventFailure, report_failures
from changeevents.models import ChangeEvent
from changeevents.payloads import store_values
from changeevents.registry import SyncMapping
from changeevents.values import pushed_state_hash, to_salesforce
from connectors.models import Store
from connectors.salesforce import client_for_org

from .progress import ProgressFactory, silent

JOB_ROWS = 10_000  # rows per Bulk API 2.0 job: Salesforce processes a job in batches of this size


def salesforce_rows(mapping: SyncMapping, records: list) -> list[dict]:
    """One CSV-ready dict per record: mapped fields, External_ID__c, parents as Relationship.External_ID__c."""
    parent_scids = {}
    for link in mapping.parents:
        fk = mapping.model._meta.get_field(link.field)
        ids = {getattr(r, fk.attname) for r in records} - {None}
        parent_scids[link.field] = dict(fk.related_model._default_manager.filter(pk__in=ids).values_list("pk", "scid"))
    stores = {}
    if mapping.sends_store:
        store_ids = {record.store_id for record in records}
        stores = {s.pk: s for s in Store.objects.filter(pk__in=store_ids).select_related("org")}
    rows = []
    for record in records:
        row = {mapping.external_id: record.scid}
        if mapping.sends_store:
            store = stores[record.store_id]
            row.update(store_values(store, store.org))
        for name, salesforce_field in mapping.fields.items():
            value = to_salesforce(getattr(record, name))
            row[salesforce_field] = "" if value is None else str(value).lower() if isinstance(value, bool) else value
        for link in mapping.parents:
            parent_pk = getattr(record, mapping.model._meta.get_field(link.field).attname)
            row[f"{link.relationship}.{mapping.external_id}"] = parent_scids[link.field].get(parent_pk, "")
        rows.append(row)
    return rows


def upsert(org, mapping: SyncMapping, records: list, progress: ProgressFactory = silent) -> tuple[int, int]:
    """Bulk API 2.0 upserts of up to JOB_ROWS rows each; stores the Salesforce Ids, makes a sync error of each
    failed row. Returns (sent, failed)."""
    if not records:
        return 0, 0
    bulk = getattr(client_for_org(org).sf.bulk2, mapping.sobject)
    failed = 0
    with progress("send to Salesforce", len(records)) as bar:
        for start in range(0, len(records), JOB_ROWS):
            chunk = records[start : start + JOB_ROWS]
            rows = salesforce_rows(mapping, chunk)
            by_scid = {r.scid: r for r in chunk}
            for job in bulk.upsert(records=rows, external_id_field=mapping.external_id, wait=0.2):
                _store_ids(mapping, by_scid, bulk.get_successful_records(job["job_id"]))
                failed += _record_failures(org, mapping, by_scid, bulk.get_failed_records(job["job_id"]))
            bar.update(len(chunk))
    return len(records), failed


def _store_ids(mapping, by_scid: dict, successful_csv: str) -> None:
    updates = []
    for row in csv.DictReader(io.StringIO(successful_csv)):
        record = by_scid.get(row.get(mapping.external_id))
        if record is not None:  # with the hash of what the org holds now, the next poll skips it (no echo)
            record.salesforce_id = row["sf__Id"]
            record.salesforce_hash = pushed_state_hash(record, mapping)
            updates.append(record)
    update_rows(mapping.model, updates, ["salesforce_id", "salesforce_hash"])


def _record_failures(org, mapping, by_scid: dict, failed_csv: str) -> int:
    failures = []
    rows = list(csv.DictReader(io.StringIO(failed_csv)))
    records = [by_scid[r[mapping.external_id]] for r in rows if r.get(mapping.external_id) in by_scid]
    stores = mapping.store_ids(r.pk for r in records)  # the error belongs to the record's store, as a save's would
    for row in rows:
        code, _, rest = row.pop("sf__Error", "").partition(":")
        message, _, fields = rest.rpartition(":")
        row.pop("sf__Id", None)
        record = by_scid.get(row.get(mapping.external_id))
        event = ChangeEvent(
            org=org,
            store_id=stores.get(record.pk) if record else None,
            sobject=mapping.sobject,
            model_label=mapping.label,
            object_pk=record.pk if record else None,
            event_type=ChangeEvent.EventType.CREATE,
            changed_fields=row,
            scid=row.get(mapping.external_id, ""),
            status=ChangeEvent.Status.FAILED,
            last_status_code=code or "UNKNOWN_EXCEPTION",
            last_message=message or rest,
        )
        field_names = [f for f in fields.replace("--", "").strip().split(",") if f]
        raw = f"{code}:{rest}"
        failures.append(EventFailure(event, event.last_status_code, event.last_message, field_names, raw, row))
    with transaction.atomic():
        ChangeEvent.objects.bulk_create([f.event for f in failures], batch_size=1000)
        report_failures(failures)
    return len(failures)
