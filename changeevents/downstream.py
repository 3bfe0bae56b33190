"""The downstream poller: reads what changed in Salesforce since each object's cursor and applies it.

One API call reads the first page of every object due (composite/batch, up to 25 queryAll subrequests);
further pages follow nextRecordsUrl (2,000 rows a page; a locator the org released, as it does past ten open
ones, is read again on its own); a backlog over SCSYNC_BULK_QUERY_THRESHOLD rows, or a
--full run, goes through a Bulk API 2.0 query job instead. queryAll returns deletions as IsDeleted rows.
"""

from __future__ import annotations

import csv
import io
import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote_plus

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connectors.broker import publish
from connectors.leases import held_lock
from connectors.models import SalesforceOrg
from connectors.salesforce import SalesforceCallError, SalesforceFailure, client_for_org

from .downstream_apply import Applier
from .models import ChangeEvent, SyncCursor
from .registry import MASTER_RECORD_FIELD, STORE_FIELD, ScheduleGroup, SyncMapping, registry
from .summaries import Tally

logger = logging.getLogger(__name__)
BATCH_LIMIT = 25


@dataclass
class PollSummary(Tally):
    objects: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: int = 0
    waiting: int = 0
    failed: int = 0
    api_calls: int = 0
    busy: list[str] = field(default_factory=list)
    bulk: list[str] = field(default_factory=list)
    failed_objects: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        """Whether the poll applied, waited on or failed any row (a poll that only re-read is routine)."""
        return bool(self.created or self.updated or self.deleted or self.waiting or self.failed or self.failed_objects)

    def __str__(self) -> str:
        text = (
            f"{self.rows} rows from {', '.join(self.objects) or 'no object'}: created {self.created}, updated "
            f"{self.updated}, deleted {self.deleted}, unchanged {self.skipped}, waiting for a parent {self.waiting}, "
            f"failed {self.failed}; API calls {self.api_calls}"
        )
        if self.bulk:
            text += f"; Bulk API 2.0 for {', '.join(self.bulk)}"
        if self.busy:
            text += f"; already running for {', '.join(self.busy)}"
        if self.failed_objects:
            text += f"; could not read {', '.join(self.failed_objects)} (the error is on its cursor)"
        return text


def request_poll(org_ids, group: str | None = None) -> int:
    """Queue a poll of each org after commit ("Sync now"): every object, or one schedule group's; returns how many."""
    org_ids = list(org_ids)
    for org_id in org_ids:
        # by name: the task module sits above this one
        transaction.on_commit(
            lambda org_id=org_id: publish("changeevents.tasks.poll_downstream_task", args=[org_id, group])
        )
    return len(org_ids)


def mappings_for(group: str | None = None, sobjects: list[str] | None = None) -> list[SyncMapping]:
    """Downstream mappings, parents first: a schedule group's, chosen objects, or all (None, None)."""
    chosen = [m for m in registry.parents_first() if m.syncs_downstream]
    if sobjects:
        unknown = set(sobjects) - {m.sobject for m in chosen}
        if unknown:
            raise ValueError(f"not synced objects: {', '.join(sorted(unknown))}")
        return [m for m in chosen if m.sobject in sobjects]
    if group:
        return [m for m in chosen if m.schedule == ScheduleGroup(group)]
    return chosen


def soql_for(mapping: SyncMapping, since=None, after: bool = False) -> str:
    """The object's queryAll: rows with SystemModstamp from `since` (or strictly after it), oldest first."""
    fields = ["Id", "IsDeleted", "SystemModstamp", mapping.external_id, *mapping.read_fields.values()]
    if mapping.mergeable:
        fields.append(MASTER_RECORD_FIELD)  # a deleted row that lost a merge names the winner
    for link in mapping.parents:
        fields += [link.lookup, f"{link.relationship}.{mapping.external_id}"]
    if mapping.sends_store:
        fields.append(STORE_FIELD)  # a record created in the org joins the store it names
    where = ""
    if since:
        where = f" WHERE SystemModstamp {'>' if after else '>='} {since.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z"
    return f"SELECT {', '.join(dict.fromkeys(fields))} FROM {mapping.sobject}{where} ORDER BY SystemModstamp, Id"


@dataclass(frozen=True)
class Window:
    """Where one object's read starts: everything (None), from a moment, or strictly after the cursor's row."""

    since: object = None
    after: bool = False
    reconcile: bool = False

    @classmethod
    def of(cls, cursor: SyncCursor, full: bool = False, reconcile: bool = False, now=None) -> Window:
        if full or cursor.last_modstamp is None:
            return cls()
        if reconcile:
            window = timedelta(seconds=settings.SCSYNC_RECONCILE_WINDOW_SECONDS)
            return cls(since=(now or timezone.now()) - window, reconcile=True)
        if cursor.window_closed:
            return cls(since=cursor.last_modstamp, after=True)
        return cls(since=cursor.last_modstamp - timedelta(seconds=settings.SCSYNC_DOWNSTREAM_OVERLAP_SECONDS))

    def soql(self, mapping: SyncMapping) -> str:
        return soql_for(mapping, self.since, self.after)


def poll_org(
    org_id: int,
    group: str | None = None,
    sobjects: list[str] | None = None,
    full: bool = False,
    reconcile: bool = False,
) -> PollSummary:
    """Read and apply what changed in the org for the chosen objects; returns what happened.

    Each object fails alone: a failed query is kept on its cursor (shown in the admin) and the others go on.
    `reconcile` re-reads the last SCSYNC_RECONCILE_WINDOW_SECONDS of every object instead of the cursor's window
    and applies what the polls missed (unchanged rows are skipped by hash); it never moves a cursor.
    """
    org = SalesforceOrg.objects.get(pk=org_id)
    summary = PollSummary()
    started = timezone.now()
    client = client_for_org(org)
    mappings = mappings_for(group, sobjects)
    with ExitStack() as locks:
        due, leases = [], []
        for mapping in mappings:
            # an overlapping run of the same org and object is a no-op
            lease = locks.enter_context(held_lock(f"downstream:{org.pk}:{mapping.sobject}"))
            if lease:
                due.append(mapping)
                leases.append(lease)
            else:
                summary.busy.append(mapping.sobject)

        def keep_alive() -> None:
            """Between pages and objects: renew this run's leases (LeaseLost stops a run that stalled too long)."""
            for lease in leases:
                lease.renew()

        cursors = {m.sobject: SyncCursor.objects.get_or_create(org=org, sobject=m.sobject)[0] for m in due}
        windows = {m.sobject: Window.of(cursors[m.sobject], full, reconcile, started) for m in due}
        first_pages = {} if full else _first_pages(client, due, windows, summary)
        for mapping in due:
            cursor = cursors[mapping.sobject]
            try:
                keep_alive()
                first_page = first_pages.get(mapping.sobject)
                if isinstance(first_page, SalesforceFailure):
                    raise SalesforceCallError(first_page)
                rows = _all_rows(client, mapping, windows[mapping.sobject], first_page, summary, keep_alive)
                keep_alive()
            except SalesforceCallError as exc:
                _object_failed(cursor, exc.failure, summary)
                continue
            _apply(org, mapping, cursor, rows, summary, windows[mapping.sobject], started)
    return summary


def _object_failed(cursor: SyncCursor, failure: SalesforceFailure, summary: PollSummary) -> None:
    cursor.last_error = f"{failure.status_code}: {failure.message}"[:2000]
    cursor.last_error_at = timezone.now()
    cursor.save(update_fields=["last_error", "last_error_at"])
    summary.failed_objects.append(cursor.sobject)
    logger.warning("downstream org %s %s: %s", cursor.org_id, cursor.sobject, cursor.last_error)


def _first_pages(client, mappings, windows, summary) -> dict[str, dict | SalesforceFailure]:
    """The first page of each object's query, up to 25 objects in one composite/batch call; an object whose
    subrequest (or whose batch call) failed gets its failure instead."""
    pages: dict[str, dict | SalesforceFailure] = {}
    version = client.connection.api_version
    for start in range(0, len(mappings), BATCH_LIMIT):
        chunk = mappings[start : start + BATCH_LIMIT]
        subrequests = [
            {"method": "GET", "url": f"v{version}/queryAll/?q={quote_plus(windows[m.sobject].soql(m))}"} for m in chunk
        ]
        try:
            results = client.composite_batch(subrequests)
        except SalesforceCallError as exc:
            pages.update({m.sobject: exc.failure for m in chunk})
            continue
        finally:
            summary.api_calls += 1
        for mapping, result in zip(chunk, results, strict=True):
            if result["statusCode"] >= 400:
                error = (result.get("result") or [{}])[0]
                pages[mapping.sobject] = SalesforceFailure.from_error_dict(error, http_status=result["statusCode"])
            else:
                pages[mapping.sobject] = result["result"]
    return pages


def _all_rows(client, mapping, window: Window, first_page, summary, keep_alive) -> list[dict]:
    if first_page is None or first_page.get("totalSize", 0) > settings.SCSYNC_BULK_QUERY_THRESHOLD:
        summary.bulk.append(mapping.sobject)
        rows = bulk_query_rows(client, mapping, window.since, window.after)
        summary.api_calls += 4  # create the job, poll it, read the results, read the job: about four calls
        return rows
    try:
        return _drained(client, first_page, summary, keep_alive)
    except SalesforceCallError as exc:
        if exc.failure.status_code != "INVALID_QUERY_LOCATOR":
            raise
    # The org released this object's locator: a user holds ten, and the eleventh opened releases the oldest, as the
    # other objects' first pages did. Read it again on its own and drain it at once.
    summary.api_calls += 1
    return _drained(client, client.query_all_page(window.soql(mapping)), summary, keep_alive)


def _drained(client, first_page: dict, summary, keep_alive) -> list[dict]:
    """A query's rows: this page's and every next page's (each one API call), leases renewed between pages."""
    rows = []
    for number, page in enumerate(client.pages(first_page)):
        summary.api_calls += 1 if number else 0
        rows.extend(page["records"])
        if not page.get("done", True):
            keep_alive()
    return rows


def bulk_query_rows(client, mapping: SyncMapping, since=None, after: bool = False) -> list[dict]:
    """A Bulk API 2.0 queryAll job; its CSV rows turned back into REST-shaped rows."""
    rows = []
    for chunk in client.bulk_query_all(mapping.sobject, soql_for(mapping, since, after)):
        for raw in csv.DictReader(io.StringIO(chunk)):
            row = {}
            for key, value in raw.items():
                value = None if value == "" else value
                if "." in key:
                    relationship, _, name = key.partition(".")
                    row.setdefault(relationship, {})[name] = value
                else:
                    row[key] = {"true": True, "false": False}.get(value, value)
            rows.append(row)
    return rows


def held_rows(org, sobjects: list[str] | None = None) -> dict[str, list[dict]]:
    """Rows waiting for their parent (pending downstream events), per object: every apply of an object, by poll
    or by change event, tries its held rows again with the new ones."""
    held: dict[str, list[dict]] = {}
    waiting = ChangeEvent.objects.downstream().pending().filter(org=org)
    if sobjects is not None:
        waiting = waiting.filter(sobject__in=sobjects)
    for sobject, row in waiting.values_list("sobject", "changed_fields"):
        held.setdefault(sobject, []).append(row)
    return held


def _apply(org, mapping, cursor, rows, summary, window: Window, started) -> None:
    waiting = held_rows(org, [mapping.sobject]).get(mapping.sobject, [])
    result = Applier(org, mapping).apply([*waiting, *rows])
    summary.objects.append(mapping.sobject)
    summary.rows += len(rows)
    summary += result
    cursor.last_error, cursor.last_error_at = "", None
    if window.reconcile:
        cursor.last_reconciled_at = started
        cursor.save(update_fields=["last_reconciled_at", "last_error", "last_error_at"])
        return
    if rows:
        last = rows[-1]
        stamp = parse_datetime(last["SystemModstamp"].replace("+0000", "+00:00"))
        if cursor.last_modstamp is None or stamp >= cursor.last_modstamp:
            cursor.last_modstamp, cursor.last_id = stamp, last["Id"]
    if cursor.last_modstamp is not None:
        # this read began after the overlap window before the last row had closed: nothing can still be
        # committing inside it, so later polls read only rows newer than the last one
        overlap = timedelta(seconds=settings.SCSYNC_DOWNSTREAM_OVERLAP_SECONDS)
        cursor.window_closed = started - overlap > cursor.last_modstamp
    cursor.last_polled_at = timezone.now()
    cursor.rows_applied += len(rows)
    cursor.save()
