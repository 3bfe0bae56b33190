"""Bulk API 2.0: ingest jobs (insert, update, upsert, delete from CSV) and query jobs (CSV results with locators).

As in Salesforce, a job runs in the background: UploadComplete answers at once, a thread moves the job to InProgress,
writes its rows in chunks of 200 (each chunk one transaction with its own SystemModstamp, so REST calls go on
between chunks), and marks it JobComplete no sooner than `bulk_in_progress_seconds` after it started, so clients
poll. Jobs are forgotten `bulk_job_seconds` after they were made (Salesforce keeps them 7 days).
"""

from __future__ import annotations

import csv
import io
import threading
import time

from .records import MultipleMatches, RequestError, WriteContext, WriteError
from .rest import Request, Response

OPERATIONS = {"insert", "update", "upsert", "delete", "hardDelete"}
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
CHUNK = 200  # rows per transaction, as Salesforce processes bulk data

API_VERSION = "59.0"
BULK_ORIGIN = f"com/salesforce/api/bulkapi/{API_VERSION}"  # the changeOrigin of what a bulk job writes


def _csv_response(text: str, headers: dict | None = None) -> Response:
    return Response(200, text.encode("utf-8"), headers or {}, "text/csv")


class BulkApi:
    def __init__(self, org):
        self.org = org
        self.jobs: dict[str, dict] = {}
        self._lock = threading.Lock()

    def _new_id(self, prefix: str) -> str:
        return self.org.records.ids.new(prefix)

    def _expire(self) -> None:
        """Forget jobs made longer ago than the org keeps them."""
        oldest = time.time() - self.org.timings.bulk_job_seconds
        with self._lock:
            for job_id in [i for i, job in self.jobs.items() if job["createdDate"] < oldest]:
                self.jobs.pop(job_id)

    def handle(self, request: Request, parts: list[str]) -> Response:
        if not parts or parts[0] not in ("ingest", "query"):
            raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")
        self._expire()
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
        delimiter, line_ending = spec.get("columnDelimiter", "COMMA"), spec.get("lineEnding", "LF")
        if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
            raise RequestError(
                400,
                "INVALIDJOB",
                f"columnDelimiter must be one of {sorted(DELIMITERS)} and lineEnding one of {sorted(LINE_ENDINGS)}",
            )
        query = None
        if kind == "ingest":
            if operation not in OPERATIONS:
                raise RequestError(400, "INVALIDJOB", f"Invalid operation: {operation}")
            spec["object"] = self.org.records.canonical_object(spec.get("object") or "") or spec.get("object", "")
            self.org.records.describe(spec["object"])
            if operation == "upsert":
                field = spec.get("externalIdFieldName")
                if not field:
                    raise RequestError(400, "INVALIDJOB", "External ID field is required for upsert")
                try:
                    self.org.records.external_id_field(spec["object"], field)
                except RequestError:
                    message = (
                        f"Field name provided, {field} is not an External ID or indexed field for {spec['object']}"
                    )
                    raise RequestError(400, "INVALIDJOB", message) from None
        elif operation not in ("query", "queryAll"):
            raise RequestError(400, "INVALIDJOB", f"Invalid operation: {operation}")
        else:
            query = self.org.queries.parse(spec.get("query") or "")
            if query.children or query.count:
                raise RequestError(400, "INVALIDJOB", "Bulk API 2.0 queries take neither subqueries nor COUNT()")
        job = {
            "id": self._new_id("750"),
            "kind": kind,
            "operation": operation,
            "object": query.sobject if query else spec["object"],
            "externalIdFieldName": spec.get("externalIdFieldName"),
            "query": spec.get("query"),
            "parsed": query,
            "lineEnding": line_ending,
            "columnDelimiter": delimiter,
            "state": "UploadComplete" if query else "Open",
            "createdDate": time.time(),
            "data": [],
            "results": {},
            "numberRecordsProcessed": 0,
            "numberRecordsFailed": 0,
        }
        with self._lock:
            self.jobs[job["id"]] = job
        if query:
            return self._start(job, self._run_query)
        return Response(200, self._public(job))

    def set_state(self, job: dict, state: str | None) -> Response:
        if state == "Aborted" and job["state"] not in ("JobComplete", "Failed"):
            job["state"] = "Aborted"
        elif state == "UploadComplete" and job["kind"] == "ingest" and job["state"] == "Open":
            job["state"] = "UploadComplete"
            return self._start(job, self._run_ingest)
        else:
            raise RequestError(400, "INVALIDJOBSTATE", f"Cannot change the job's state from {job['state']} to {state}")
        return Response(200, self._public(job))

    def _start(self, job: dict, work) -> Response:
        """Run the job on its own thread: InProgress, the work, then JobComplete (or Failed) no sooner than the
        org's bulk_in_progress_seconds after it started. Answers the job as it was when it was handed over."""
        answer = Response(200, self._public(job))

        def run():
            started = time.monotonic()
            job["state"] = "InProgress"
            try:
                work(job)
            except Exception as exc:  # noqa: BLE001 - an emulator bug fails the job, as a platform error would
                job["errorMessage"] = f"emulator error: {exc!r}"
                job["state"] = "Failed"
                return
            time.sleep(max(0.0, started + self.org.timings.bulk_in_progress_seconds - time.monotonic()))
            if job["state"] == "InProgress":
                job["state"] = "JobComplete"

        threading.Thread(target=run, daemon=True, name=f"bulk-{job['id']}").start()
        return answer

    def _public(self, job: dict) -> dict:
        return {
            "id": job["id"],
            "operation": job["operation"],
            "object": job["object"],
            "createdById": self.org.records.schema["users"]["active"][0],
            "state": job["state"],
            "externalIdFieldName": job["externalIdFieldName"],
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(API_VERSION),
            "jobType": "V2Query" if job["kind"] == "query" else "V2Ingest",
            "lineEnding": job["lineEnding"],
            "columnDelimiter": job["columnDelimiter"],
            "numberRecordsProcessed": job["numberRecordsProcessed"],
            "numberRecordsFailed": job["numberRecordsFailed"],
            "retries": 0,
            "totalProcessingTime": 0,
        } | ({"errorMessage": job["errorMessage"]} if job.get("errorMessage") else {})

    # --- ingest ---------------------------------------------------------------------------------------------
    def _run_ingest(self, job: dict) -> None:
        rows = []
        delimiter = DELIMITERS[job["columnDelimiter"]]
        for chunk in job["data"]:
            rows.extend(csv.DictReader(io.StringIO(chunk, newline=""), delimiter=delimiter))
        job["data"] = []
        columns = list(rows[0].keys()) if rows else []
        ok, failed, unprocessed = [], [], []
        records = self.org.records
        for start in range(0, len(rows), CHUNK):
            if job["state"] != "InProgress":  # aborted: the rest is never processed
                unprocessed = rows[start:]
                break
            with records.lock:  # one transaction per chunk: other calls go on between chunks
                ctx = WriteContext(stamp=records.stamp(), origin=BULK_ORIGIN)
                for row in rows[start : start + CHUNK]:
                    self._ingest_one(job, row, ctx, ok, failed)
            self.org.publish_changes()
            job["numberRecordsProcessed"] = len(ok) + len(failed)
            job["numberRecordsFailed"] = len(failed)
            time.sleep(0.001)  # let waiting calls take the org's lock: a released lock is not a fair one
        job["results"] = {
            "successfulResults": _results_csv(
                ["sf__Id", "sf__Created"], columns, [[i, str(c).lower()] for i, c, _ in ok], [r for *_, r in ok]
            ),
            "failedResults": _results_csv(
                ["sf__Id", "sf__Error"], columns, [["", e] for e, _ in failed], [r for _, r in failed]
            ),
            "unprocessedrecords": _results_csv([], columns, [[] for _ in unprocessed], unprocessed),
        }

    def _ingest_one(self, job: dict, row: dict, ctx: WriteContext, ok: list, failed: list) -> None:
        body = {k: (v if v != "" else None) for k, v in row.items() if k and v != "#N/A"}
        body.update({k: None for k, v in row.items() if v == "#N/A"})
        try:
            record_id, created = self._ingest_row(job, body, ctx)
            ok.append((record_id, created, row))
        except MultipleMatches:
            message = "DUPLICATE_EXTERNAL_ID:External ID matches several records:" + job["externalIdFieldName"]
            failed.append((message + " --", row))
        except WriteError as exc:
            failed.append((f"{exc.code}:{exc.message}:{','.join(exc.fields)} --", row))
        except RequestError as exc:  # a row the JSON reader would refuse: in a CSV it fails that row
            failed.append((f"{exc.code}:{exc.message}: --", row))

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
        queries, query = self.org.queries, job["parsed"]
        rows = queries.rows(query, include_deleted=job["operation"] == "queryAll")
        job["rows"] = [[_csv_value(queries.value(query.sobject, r, f)) for f in query.fields] for r in rows]
        job["fields"] = query.fields
        job["numberRecordsProcessed"] = len(rows)

    def query_results(self, job: dict, params: dict) -> Response:
        if job["state"] != "JobComplete":
            raise RequestError(400, "INVALIDJOBSTATE", "The job is not complete yet.")
        start = int(params.get("locator") or 0)
        size = int(params.get("maxRecords") or 50000)
        page = job["rows"][start : start + size]
        buffer = io.StringIO()
        writer = csv.writer(
            buffer,
            delimiter=DELIMITERS[job["columnDelimiter"]],
            lineterminator=LINE_ENDINGS[job["lineEnding"]],
            quoting=csv.QUOTE_ALL,
        )
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
