"""Running SOQL against the org's records: filtering, parent fields, ordering, paging with query locators."""

from __future__ import annotations

import itertools
import threading

from .records import DATETIME_FIELDS, Records, RequestError
from .soql import Query, SoqlError, condition_fields, evaluate, parse_query
from .timeutil import format_ms

DEFAULT_BATCH = 2000


class QueryEngine:
    def __init__(self, records: Records):
        self.records = records
        self._cursors: dict[str, tuple[list, int, str]] = {}  # locator -> (rows, batch size, version)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def parse(self, text: str) -> Query:
        try:
            query = parse_query(text)
        except SoqlError as exc:
            raise RequestError(400, "MALFORMED_QUERY", f"\n{text}\n^\nERROR at Row:1:Column:1\n{exc}") from exc
        if query.sobject not in self.records.schema["objects"]:
            raise RequestError(400, "INVALID_TYPE", f"sObject type '{query.sobject}' is not supported.")
        for name in [*query.fields, *condition_fields(query.where), *(o[0] for o in query.order_by)]:
            self._check_field(query.sobject, name)
        return query

    def _check_field(self, sobject: str, name: str) -> None:
        if "." in name:
            relationship, _, rest = name.partition(".")
            lookups = self.records.relationships(sobject)
            if relationship not in lookups:
                raise RequestError(
                    400, "INVALID_FIELD", f"Didn't understand relationship '{relationship}' in {sobject}"
                )
            target = self.records.describe(sobject)["fields"][lookups[relationship]]["to"]
            if target in self.records.schema["objects"]:
                self._check_field(target, rest)
            return
        if name not in self.records.field_names(sobject):
            raise RequestError(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'.")

    def value(self, sobject: str, record: dict | None, name: str):
        if record is None:
            return None
        if "." in name:
            relationship, _, rest = name.partition(".")
            lookup = self.records.relationships(sobject)[relationship]
            target = self.records.describe(sobject)["fields"][lookup]["to"]
            parent = self.records.get(target, record.get(lookup) or "", include_deleted=True)
            return self.value(target, parent, rest)
        return record.get(name)

    def rows(self, query: Query, include_deleted: bool) -> list[dict]:
        with self.records.lock:
            candidates = [
                r
                for r in self.records.by_object[query.sobject].values()
                if (include_deleted or not r["IsDeleted"])
                and evaluate(query.where, lambda name, r=r: self.value(query.sobject, r, name))
            ]
        for name, descending, nulls_last in reversed(query.order_by):
            nulls_last = descending if nulls_last is None else nulls_last
            present = [r for r in candidates if self.value(query.sobject, r, name) is not None]
            absent = [r for r in candidates if self.value(query.sobject, r, name) is None]
            present.sort(key=lambda r, n=name: _sort_key(self.value(query.sobject, r, n)), reverse=descending)
            candidates = present + absent if nulls_last else absent + present
        candidates = candidates[query.offset :]
        if query.limit is not None:
            candidates = candidates[: query.limit]
        return candidates

    def shape(self, query: Query, record: dict) -> dict:
        out = {
            "attributes": {
                "type": query.sobject,
                "url": f"/services/data/v59.0/sobjects/{query.sobject}/{record['Id']}",
            }
        }
        for name in query.fields:
            self._place(out, query.sobject, record, name.split("."))
        return out

    def _place(self, out: dict, sobject: str, record: dict, path: list[str]) -> None:
        head = path[0]
        if len(path) == 1:
            value = record.get(head)
            out[head] = format_ms(value) if head in DATETIME_FIELDS else value
            return
        lookup = self.records.relationships(sobject)[head]
        target = self.records.describe(sobject)["fields"][lookup]["to"]
        parent = self.records.get(target, record.get(lookup) or "", include_deleted=True)
        if parent is None:
            out[head] = None
            return
        nested = out.get(head) or {
            "attributes": {"type": target, "url": f"/services/data/v59.0/sobjects/{target}/{parent['Id']}"}
        }
        out[head] = nested
        self._place(nested, target, parent, path[1:])

    def run(self, text: str, include_deleted: bool, batch_size: int, version: str) -> dict:
        query = self.parse(text)
        rows = self.rows(query, include_deleted)
        if query.count:
            return {"totalSize": len(rows), "done": True, "records": []}
        shaped = [self.shape(query, r) for r in rows]
        return self._page(shaped, 0, batch_size, version)

    def more(self, locator: str, version: str) -> dict:
        cursor_id, _, start = locator.rpartition("-")
        with self._lock:
            cursor = self._cursors.get(cursor_id)
        if cursor is None or not start.isdigit():
            raise RequestError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        rows, batch_size = cursor
        return self._page(rows, int(start), batch_size, version, cursor_id)

    def _page(self, rows: list, start: int, batch_size: int, version: str, cursor_id: str | None = None) -> dict:
        end = start + batch_size
        page = {"totalSize": len(rows), "done": end >= len(rows), "records": rows[start:end]}
        if end < len(rows):
            if cursor_id is None:
                cursor_id = f"01gRO{next(self._numbers):010d}AAA"
                with self._lock:
                    self._cursors[cursor_id] = (rows, batch_size)
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor_id}-{end}"
        return page


def _sort_key(value):
    if isinstance(value, str):
        return (1, value.lower())
    if isinstance(value, bool):
        return (0, int(value))
    return (0, value)


def batch_size_from(header: str | None) -> int:
    """Sforce-Query-Options: batchSize=N (200..2000)."""
    if not header:
        return DEFAULT_BATCH
    for part in header.split(","):
        key, _, value = part.partition("=")
        if key.strip() == "batchSize" and value.strip().isdigit():
            return max(200, min(DEFAULT_BATCH, int(value)))
    return DEFAULT_BATCH
