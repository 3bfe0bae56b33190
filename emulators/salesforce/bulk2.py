"""Bulk API 2.0: ingest jobs (insert, update, upsert, delete from CSV) and query jobs (CSV results with locators).

Ingest jobs are processed when the upload completes, so the job is JobComplete by the client's first poll.
"""

from __future__ import annotations

import csv
import io
import itertools
import threading
import time

from .records import MultipleMatches, RequestError, WriteContext, WriteError
from .rest import Request, Response

OPERATIONS = {"insert", "update", "upsert", "delete", "hardDelete"}


def _csv_response(text: str, headers: dict | None = None) -> Response:
    return Response(200, text.encode("utf-8"), headers or {}, "text/csv")


class BulkApi:
    def __init__(self, org):
        self.org = org
        self.jobs: dict[str, dict] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def _new_id(self, prefix: str) -> str:
        return self.org.records.ids.new(prefix)

    def handle(self, request: Request, parts: list[str]) -> Response:
        if not parts or parts[0] not in ("ingest", "query"):
            raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")
        kind, rest = parts[0], parts[1:]
        if not rest:
            if request.method == "POST":
                return self.create(request, kind)
            return Response(
                200, {"done": True, "records": [self._public(j) for j in self.jobs.values() if j["kind"] == kind]}
            )
        job = self.jobs.get(rest[0])
        if job is None or job["kind"] != kind:
            raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")
        if len(rest) == 1:
            if request.method == "PATCH":
                return self.set_state(job, request.object().get("state"))
            if request.method == "DELETE":
                self.jobs.pop(job["id"])
                return Response(204)
            return Response(200, self._public(job))
        action = rest[1]
        if kind == "ingest" and action == "batches" and request.method == "PUT":
            if job["state"] != "Open":
                raise RequestError(400, "INVALIDJOBSTATE", f"Job {job['id']} is not open for uploads.")
            job["data"].append(request.body.decode("utf-8"))
            return Response(201)
        if kind == "ingest" and action in ("successfulResults", "failedResults", "unprocessedrecords"):
            return _csv_response(job["results"].get(action, ""))
        if kind == "query" and action == "results":
            return self.query_results(job, request.params)
        raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")

    def create(self, request: Request, kind: str) -> Response:
        spec = request.object()
        operation = spec.get("operation")
        if kind == "ingest":
            if operation not in OPERATIONS:
                raise RequestError(400, "INVALIDJOB", f"Invalid operation: {operation}")
            self.org.records.describe(spec.get("object", ""))
            if operation == "upsert" and not spec.get("externalIdFieldName"):
                raise RequestError(400, "INVALIDJOB", "External ID field is required for upsert")
            if operation == "upsert":
                field = spec["externalIdFieldName"]
                try:
                    self.org.records.external_id_field(spec["object"], field)
                except RequestError:
                    message = (
                        f"Field name provided, {field} is not an External ID or indexed field for {spec['object']}"
                    )
                    raise RequestError(400, "INVALIDJOB", message) from None
        elif operation not in ("query", "queryAll"):
            raise RequestError(400, "INVALIDJOB", f"Invalid operation: {operation}")
        job = {
            "id": self._new_id("750"),
            "kind": kind,
            "operation": operation,
            "object": spec.get("object"),
            "externalIdFieldName": spec.get("externalIdFieldName"),
            "query": spec.get("query"),
            "lineEnding": spec.get("lineEnding", "LF"),
            "columnDelimiter": spec.get("columnDelimiter", "COMMA"),
            "state": "Open",
            "createdDate": time.time(),
            "data": [],
            "results": {},
            "numberRecordsProcessed": 0,
            "numberRecordsFailed": 0,
        }
        with self._lock:
            self.jobs[job["id"]] = job
        if kind == "query":
            self._run_query(job)
        return Response(200, self._public(job))

    def set_state(self, job: dict, state: str | None) -> Response:
        if state == "Aborted":
            job["state"] = "Aborted"
        elif state == "UploadComplete" and job["kind"] == "ingest" and job["state"] == "Open":
            job["state"] = "UploadComplete"
            self._run_ingest(job)
        else:
            raise RequestError(400, "INVALIDJOBSTATE", f"Cannot change the job's state from {job['state']} to {state}")
        return Response(200, self._public(job))

    def _public(self, job: dict) -> dict:
        object_name = job["object"] or (job["query"] or "").split()[-1:]
        return {
            "id": job["id"],
            "operation": job["operation"],
            "object": job["object"] if job["kind"] == "ingest" else object_name,
            "createdById": self.org.records.schema["users"]["active"][0],
            "state": job["state"],
            "externalIdFieldName": job["externalIdFieldName"],
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": 59.0,
            "jobType": "V2Query" if job["kind"] == "query" else "V2Ingest",
            "lineEnding": job["lineEnding"],
            "columnDelimiter": job["columnDelimiter"],
            "numberRecordsProcessed": job["numberRecordsProcessed"],
            "numberRecordsFailed": job["numberRecordsFailed"],
            "retries": 0,
            "totalProcessingTime": 0,
        }

    # --- ingest ---------------------------------------------------------------------------------------------
    def _run_ingest(self, job: dict) -> None:
        job["state"] = "InProgress"
        rows = []
        for chunk in job["data"]:
            rows.extend(csv.DictReader(io.StringIO(chunk)))
        columns = list(rows[0].keys()) if rows else []
        ok, failed = [], []
        records = self.org.records
        ctx = WriteContext(stamp=records.stamp())
        with records.lock:
            for row in rows:
                body = {k: (v if v != "" else None) for k, v in row.items() if k and v != "#N/A"}
                body.update({k: None for k, v in row.items() if v == "#N/A"})
                try:
                    record_id, created = self._ingest_row(job, body, ctx)
                    ok.append((record_id, created, row))
                except MultipleMatches:
                    failed.append(
                        (
                            "DUPLICATE_EXTERNAL_ID:External ID matches several records:"
                            + job["externalIdFieldName"]
                            + " --",
                            row,
                        )
                    )
                except WriteError as exc:
                    failed.append((f"{exc.code}:{exc.message}:{','.join(exc.fields)} --", row))
        job["results"] = {
            "successfulResults": _results_csv(
                ["sf__Id", "sf__Created"], columns, [[i, str(c).lower()] for i, c, _ in ok], [r for *_, r in ok]
            ),
            "failedResults": _results_csv(
                ["sf__Id", "sf__Error"], columns, [["", e] for e, _ in failed], [r for _, r in failed]
            ),
            "unprocessedrecords": _results_csv([], columns, [], []),
        }
        job["numberRecordsProcessed"] = len(rows)
        job["numberRecordsFailed"] = len(failed)
        job["data"] = []
        job["state"] = "JobComplete"

    def _ingest_row(self, job: dict, body: dict, ctx: WriteContext) -> tuple[str, bool]:
        records, sobject, operation = self.org.records, job["object"], job["operation"]
        body = _nest_references(body)
        if operation == "insert":
            return records.create(sobject, body, ctx)["Id"], True
        if operation == "update":
            return records.update(sobject, body.pop("Id", None) or "", body, ctx)["Id"], False
        if operation in ("delete", "hardDelete"):
            return records.delete(sobject, body.get("Id") or "", ctx)["Id"], False
        field = job["externalIdFieldName"]
        if body.get(field) in (None, ""):
            raise WriteError("MISSING_ARGUMENT", f"{field} not specified", [field])
        record, created = records.upsert(sobject, field, body[field], body, ctx)
        return record["Id"], created

    # --- query ----------------------------------------------------------------------------------------------
    def _run_query(self, job: dict) -> None:
        queries = self.org.queries
        query = queries.parse(job["query"])
        rows = queries.rows(query, include_deleted=job["operation"] == "queryAll")
        job["rows"] = [[_csv_value(queries.value(query.sobject, r, f)) for f in query.fields] for r in rows]
        job["fields"] = query.fields
        job["numberRecordsProcessed"] = len(rows)
        job["state"] = "JobComplete"

    def query_results(self, job: dict, params: dict) -> Response:
        if job["state"] != "JobComplete":
            raise RequestError(400, "INVALIDJOBSTATE", "The job is not complete yet.")
        start = int(params.get("locator") or 0)
        size = int(params.get("maxRecords") or 50000)
        page = job["rows"][start : start + size]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(job["fields"])
        writer.writerows(page)
        end = start + size
        headers = {
            "Sforce-NumberOfRecords": str(len(page)),
            "Sforce-Locator": str(end) if end < len(job["rows"]) else "null",
        }
        return _csv_response(buffer.getvalue(), headers)


def _csv_value(value) -> str:
    from .timeutil import format_ms

    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) and value > 10**11:  # a timestamp in milliseconds
        return format_ms(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _nest_references(body: dict) -> dict:
    """CSV columns like Account.External_ID__c become {"Account": {"External_ID__c": ...}}."""
    out = {}
    for key, value in body.items():
        if "." in key:
            relationship, _, field = key.partition(".")
            if value is not None:
                out[relationship] = {field: value}
        else:
            out[key] = value
    return out


def _results_csv(prefix: list[str], columns: list[str], leading: list[list], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(prefix + columns)
    for lead, row in zip(leading, rows, strict=True):
        writer.writerow(lead + [row.get(c, "") for c in columns])
    return buffer.getvalue()
