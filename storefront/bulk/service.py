"""The bulk-load service behind `manage.py bulk_load`: check, load with triggers off, upsert, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from changeevents.downstream import bulk_query_rows
from changeevents.downstream_apply import Applier, ApplySummary
from changeevents.registry import registry
from connectors.salesforce import client_for_org

from .load import load_rows, triggers_off
from .progress import ProgressFactory, silent
from .rows import BulkFileError, RowChecker, check_file, columns_for
from .upload import upsert


@dataclass
class BulkLoadSummary:
    read: int = 0
    loaded: int = 0
    sent: int = 0
    failed: int = 0
    bad_rows: list[tuple[int, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"read {self.read}, bad {len(self.bad_rows)}, loaded {self.loaded}, sent {self.sent}, "
            f"failed in Salesforce {self.failed}"
        )


def columns_by_object() -> dict[str, list[str]]:
    """Each synced object's loadable columns, for the command's help."""
    return {m.sobject: columns_for(m) for m in sorted(registry.all(), key=lambda m: m.sobject)}


def mapping_for_object(sobject: str):
    try:
        return registry.for_sobject(sobject)
    except KeyError:
        known = ", ".join(sorted(m.sobject for m in registry.all()))
        raise BulkFileError(f"{sobject!r} is not a synced object; use one of {known}") from None


def bulk_load(
    path: Path,
    sobject: str,
    org,
    store=None,
    scid_column: str = "scid",
    dry_run=False,
    strict=False,
    send=True,
    new_records=False,
    progress: ProgressFactory = silent,
) -> BulkLoadSummary:
    """Load a CSV or JSON-lines file of one object. Bad rows are reported with their line numbers; the good
    ones still load unless `strict`. Rows are keyed by their SCID column, so loading a file again updates what the
    first load created; a file without ids is refused unless `new_records`. Raises BulkFileError when the file as a
    whole cannot be loaded."""
    mapping = mapping_for_object(sobject)
    checked = check_file(Path(path), RowChecker(mapping, org, scid_column, new_records), progress=progress)
    summary = BulkLoadSummary(read=checked.read, bad_rows=checked.errors)
    if dry_run or not checked.rows or (strict and checked.errors):
        return summary
    if mapping.store_path == "store" and store is None and not mapping.model._meta.get_field("store").null:
        raise BulkFileError(f"{sobject} records belong to a store: give --store")
    with triggers_off(org, reason=f"Bulk load of {Path(path).name}"):
        records = load_rows(org, mapping, checked.rows, store=store)
    summary.loaded = len(records)
    if send:
        summary.sent, summary.failed = upsert(org, mapping, records, progress=progress)
    return summary


def load_from_salesforce(sobject: str, org) -> tuple[int, ApplySummary]:
    """The first full load of an object from the org through a Bulk API 2.0 query; returns (rows read, what
    applying them did)."""
    mapping = mapping_for_object(sobject)
    rows = bulk_query_rows(client_for_org(org), mapping)
    with triggers_off(org, reason=f"First load of {sobject} from Salesforce"):
        return len(rows), Applier(org, mapping).apply(rows)
