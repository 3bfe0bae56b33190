"""Running SOQL against the org's records: filtering, parent fields, ordering, paging with query locators."""

from __future__ import annotations

import itertools
import threading
import time

from .ids import case_safe_suffix, is_valid_id
from .records import DATETIME_FIELDS, Records, RequestError
from .soql import Query, SoqlError, comparisons, evaluate, parse_query, parse_search
from .timeutil import format_ms

DEFAULT_BATCH = 2000
SEARCH_LIMIT = 2000
SEARCHABLE_TYPES = {"string", "textarea", "email", "phone", "url", "picklist"}


class QueryEngine:
    def __init__(self, records: Records, org):
        self.records = records
        self.org = org  # for its timings: how long locators live, how many stay open
        self._cursors: dict[str, list] = {}  # locator -> [rows, batch size, last used], oldest first
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def open_locators(self) -> int:
        with self._lock:
            self._expire()
            return len(self._cursors)

    def _expire(self) -> None:
        """Forget locators idle longer than the org keeps them (called with the lock held)."""
        idle_since = time.monotonic() - self.org.timings.query_locator_seconds
        for cursor_id in [c for c, (_, _, used) in self._cursors.items() if used < idle_since]:
            del self._cursors[cursor_id]

    def parse(self, text: str) -> Query:
        try:
            query = parse_query(text)
        except SoqlError as exc:
            raise RequestError(400, "MALFORMED_QUERY", f"\n{text}\n^\nERROR at Row:1:Column:1\n{exc}") from exc
        self._resolve(query)
        for child in query.children:
            relationship = self.records.canonical_relationship(query.sobject, child.sobject, children=True)
            if relationship is None:
                raise RequestError(
                    400, "INVALID_TYPE", f"Didn't understand relationship '{child.sobject}' in FROM part of query call."
                )
            child.relationship = relationship
            child.sobject, child.link = self.records.child_relationships(query.sobject)[relationship]
            self._canonicalise(child)
        return query

    def _resolve(self, query: Query) -> None:
        """The queried object as the schema spells it (INVALID_TYPE when there is none), then its names."""
        sobject = self.records.canonical_object(query.sobject)
        if sobject is None:
            raise RequestError(400, "INVALID_TYPE", f"sObject type '{query.sobject}' is not supported.")
        query.sobject = sobject
        self._canonicalise(query)

    def _canonicalise(self, query: Query) -> None:
        """Names as the schema defines them (SOQL ignores case), and Id literals in their 18-character form."""
        query.fields = [self._field(query.sobject, name)[0] for name in query.fields]
        query.order_by = [(self._field(query.sobject, n)[0], d, nl) for n, d, nl in query.order_by]
        for comparison in comparisons(query.where):
            comparison.field, kind = self._field(query.sobject, comparison.field)
            if kind in ("id", "reference"):
                comparison.value = _full_ids(comparison.value)

    def _field(self, sobject: str, name: str) -> tuple[str, str]:
        """(the canonical dotted path, the last field's type); INVALID_FIELD when a part is unknown."""
        if "." in name:
            written, _, rest = name.partition(".")
            relationship = self.records.canonical_relationship(sobject, written)
            if relationship is None:
                raise RequestError(400, "INVALID_FIELD", f"Didn't understand relationship '{written}' in {sobject}")
            lookup = self.records.relationships(sobject)[relationship]
            path, kind = self._field(self.records.describe(sobject)["fields"][lookup]["to"], rest)
            return f"{relationship}.{path}", kind
        canonical = self.records.canonical_field(sobject, name)
        if canonical is None:
            raise RequestError(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'.")
        return canonical, self.records.field_type(sobject, canonical)

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

    def _matching(self, query: Query, rows, include_deleted: bool) -> list[dict]:
        return [
            r
            for r in rows
            if (include_deleted or not r["IsDeleted"])
            and evaluate(query.where, lambda name, r=r: self.value(query.sobject, r, name))
        ]

    def rows(self, query: Query, include_deleted: bool) -> list[dict]:
        with self.records.lock:
            candidates = self._matching(query, self.records.by_object[query.sobject].values(), include_deleted)
        return self._ordered(query, candidates)

    def _ordered(self, query: Query, candidates: list[dict]) -> list[dict]:
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

    def _children_by_parent(self, child: Query, include_deleted: bool) -> dict[str, list[dict]]:
        grouped: dict[str, list[dict]] = {}
        with self.records.lock:
            for row in self._matching(child, self.records.by_object[child.sobject].values(), include_deleted):
                if row.get(child.link):
                    grouped.setdefault(row[child.link], []).append(row)
        return grouped

    def shape(self, query: Query, record: dict, children: dict | None = None) -> dict:
        out = {
            "attributes": {
                "type": query.sobject,
                "url": f"/services/data/v59.0/sobjects/{query.sobject}/{record['Id']}",
            }
        }
        for name in query.fields:
            self._place(out, query.sobject, record, name.split("."))
        for child in query.children:
            rows = self._ordered(child, (children or {}).get(child.relationship, {}).get(record["Id"], []))
            out[child.relationship] = (
                {"totalSize": len(rows), "done": True, "records": [self.shape(child, r) for r in rows]}
                if rows
                else None
            )
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
        children = {c.relationship: self._children_by_parent(c, include_deleted) for c in query.children}
        shaped = [self.shape(query, r, children) for r in rows]
        return self._page(shaped, 0, batch_size, version)

    def search(self, text: str) -> dict:
        """SOSL: the records whose searched fields hold every term, per object RETURNING names (all by default)."""
        try:
            search = parse_search(text)
        except SoqlError as exc:
            raise RequestError(400, "MALFORMED_SEARCH", str(exc)) from exc
        targets = search.returning or [
            Query(fields=["Id"], sobject=name) for name in self.records.schema["objects"] if name != "User"
        ]
        found = []
        for target in targets:
            self._resolve(target)
            searched = self._searched_fields(target.sobject, search.scope)
            with self.records.lock:
                rows = [
                    r
                    for r in self._matching(target, self.records.by_object[target.sobject].values(), False)
                    if search.matches(" ".join(str(r[f]) for f in searched if r.get(f) not in (None, "")))
                ]
            found.extend(self.shape(target, r) for r in self._ordered(target, rows))
        return {"searchRecords": found[: search.limit or SEARCH_LIMIT]}

    def _searched_fields(self, sobject: str, scope: str) -> list[str]:
        fields = self.records.describe(sobject)["fields"]
        if scope == "NAME":
            return [n for n in ("Name", "FirstName", "LastName") if n in fields]
        kinds = {"EMAIL": {"email"}, "PHONE": {"phone"}}.get(scope, SEARCHABLE_TYPES)
        return [n for n, f in fields.items() if f["type"] in kinds]

    def more(self, locator: str, version: str) -> dict:
        cursor_id, _, start = locator.rpartition("-")
        with self._lock:
            self._expire()
            cursor = self._cursors.get(cursor_id)
            if cursor is not None:
                cursor[2] = time.monotonic()
        if cursor is None or not start.isdigit():
            raise RequestError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        rows, batch_size, _ = cursor
        return self._page(rows, int(start), batch_size, version, cursor_id)

    def _page(self, rows: list, start: int, batch_size: int, version: str, cursor_id: str | None = None) -> dict:
        """One page; a locator for the rest, held until drained, idle too long, or the oldest of too many."""
        end = start + batch_size
        page = {"totalSize": len(rows), "done": end >= len(rows), "records": rows[start:end]}
        with self._lock:
            if end >= len(rows):
                self._cursors.pop(cursor_id or "", None)
                return page
            if cursor_id is None:
                self._expire()
                while len(self._cursors) >= max(self.org.timings.open_query_locators, 1):
                    del self._cursors[next(iter(self._cursors))]  # the oldest is released
                cursor_id = f"01gRO{next(self._numbers):010d}AAA"
                self._cursors[cursor_id] = [rows, batch_size, time.monotonic()]
        page["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor_id}-{end}"
        return page


def _full_ids(value):
    """15-character Ids as their 18-character form, so either matches, as in Salesforce."""
    if isinstance(value, list):
        return [_full_ids(v) for v in value]
    if isinstance(value, str) and len(value) == 15 and is_valid_id(value):
        return value + case_safe_suffix(value)
    return value


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
