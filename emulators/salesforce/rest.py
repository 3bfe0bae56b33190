"""The REST API under /services/data/vNN.N/: sobjects, query, sObject Collections, composite, limits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from .query import batch_size_from
from .records import MultipleMatches, RequestError, WriteContext, WriteError
from .timeutil import format_ms, parse_datetime_literal

COLLECTION_LIMIT = 200


@dataclass
class Request:
    method: str
    path: str  # below /services/data/vNN.N/, without slashes at either end
    version: str
    params: dict
    headers: dict
    body: bytes = b""

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise RequestError(400, "JSON_PARSER_ERROR", f"The request body is not valid JSON: {exc}") from exc

    @property
    def allow_duplicates(self) -> bool:
        return "allowsave=true" in self.headers.get("sforce-duplicate-rule-header", "").replace(" ", "").lower()


@dataclass
class Response:
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json;charset=UTF-8"


def _ok(body, status=200) -> Response:
    return Response(status, body)


class RestApi:
    def __init__(self, org):
        self.org = org  # the OrgState: records, queries, limits, bulk

    @property
    def records(self):
        return self.org.records

    def handle(self, request: Request) -> Response:
        parts = [unquote(p) for p in request.path.split("/") if p]
        if not parts:
            return _ok(
                {"sobjects": f"/services/data/v{request.version}/sobjects", "query": "query", "limits": "limits"}
            )
        head = parts[0]
        if head == "sobjects":
            return self.sobjects(request, parts[1:])
        if head in ("query", "queryAll"):
            return self.query(request, parts[1:], include_deleted=head == "queryAll")
        if head == "limits":
            return _ok(self.org.limits())
        if head == "composite":
            return self.composite(request, parts[1:])
        if head == "jobs":
            return self.org.bulk.handle(request, parts[1:])
        raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")

    # --- sobjects -----------------------------------------------------------------------------------------
    def sobjects(self, request: Request, parts: list[str]) -> Response:
        if not parts:
            return _ok(self.org.describe_global())
        sobject = parts[0]
        self.records.describe(sobject)
        method = request.method
        if len(parts) == 1:
            if method == "GET":
                return _ok({"objectDescribe": self.org.describe_object(sobject, brief=True), "recentItems": []})
            if method == "POST":
                try:
                    with self.records.lock:
                        record = self.records.create(sobject, request.json() or {}, self._ctx(request))
                except WriteError as exc:
                    return _write_error(exc)
                return _ok({"id": record["Id"], "success": True, "errors": []}, 201)
        elif len(parts) == 2:
            if parts[1] == "describe":
                return _ok(self.org.describe_object(sobject))
            if parts[1] in ("updated", "deleted"):
                return self.changed(request, sobject, parts[1])
            return self.by_id(request, sobject, parts[1])
        elif len(parts) == 3:
            return self.by_external_id(request, sobject, parts[1], parts[2])
        raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")

    def _ctx(self, request: Request) -> WriteContext:
        return WriteContext(stamp=self.records.stamp(), allow_duplicates=request.allow_duplicates)

    def by_id(self, request: Request, sobject: str, record_id: str) -> Response:
        with self.records.lock:
            if request.method == "GET":
                record = self.records.get(sobject, record_id)
                if record is None:
                    raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")
                return _ok(self._select(sobject, record, request.params.get("fields")))
            try:
                if request.method == "PATCH":
                    self.records.update(sobject, record_id, request.json() or {}, self._ctx(request))
                elif request.method == "DELETE":
                    self.records.delete(sobject, record_id, self._ctx(request))
                else:
                    raise RequestError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed.")
            except WriteError as exc:
                return _write_error(exc)
        return Response(204)

    def by_external_id(self, request: Request, sobject: str, field_name: str, value: str) -> Response:
        with self.records.lock:
            if request.method == "GET":
                matches = self.records.find(sobject, field_name, value)
                if not matches:
                    raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")
                if len(matches) > 1:
                    return Response(
                        300, [f"/services/data/v{request.version}/sobjects/{sobject}/{m['Id']}" for m in matches]
                    )
                return _ok(self._select(sobject, matches[0], request.params.get("fields")))
            try:
                if request.method == "PATCH":
                    record, created = self.records.upsert(
                        sobject, field_name, value, request.json() or {}, self._ctx(request)
                    )
                    body = {"id": record["Id"], "success": True, "errors": [], "created": created}
                    return _ok(body, 201 if created else 200)
                if request.method == "DELETE":
                    matches = self.records.find(sobject, field_name, value)
                    if not matches:
                        raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")
                    self.records.delete(sobject, matches[0]["Id"], self._ctx(request))
                    return Response(204)
            except MultipleMatches as exc:
                return Response(300, exc.urls)
            except WriteError as exc:
                return _write_error(exc)
        raise RequestError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed.")

    def _select(self, sobject: str, record: dict, fields: str | None) -> dict:
        public = self.records.public(sobject, record)
        if fields:
            wanted = {f.strip() for f in fields.split(",")} | {"attributes"}
            public = {k: v for k, v in public.items() if k in wanted}
        return public

    def changed(self, request: Request, sobject: str, kind: str) -> Response:
        try:
            start = parse_datetime_literal(request.params["start"])
            end = parse_datetime_literal(request.params["end"])
        except (KeyError, ValueError) as exc:
            message = f"start and end must be ISO 8601 date-times with a zone: {exc}"
            raise RequestError(400, "MALFORMED_QUERY", message) from exc
        rows = self.records.by_object[sobject].values()
        if kind == "updated":
            ids = [r["Id"] for r in rows if not r["IsDeleted"] and start <= r["SystemModstamp"] <= end]
            return _ok({"ids": ids, "latestDateCovered": format_ms(end)})
        deleted = [
            {"id": r["Id"], "deletedDate": format_ms(r["SystemModstamp"])}
            for r in rows
            if r["IsDeleted"] and start <= r["SystemModstamp"] <= end
        ]
        return _ok(
            {"deletedRecords": deleted, "earliestDateAvailable": format_ms(start), "latestDateCovered": format_ms(end)}
        )

    # --- query ----------------------------------------------------------------------------------------------
    def query(self, request: Request, parts: list[str], include_deleted: bool) -> Response:
        if parts:
            return _ok(self.org.queries.more(parts[0], request.version))
        text = request.params.get("q")
        if not text:
            raise RequestError(400, "MALFORMED_QUERY", "A query string (q) is required.")
        batch = batch_size_from(request.headers.get("sforce-query-options"))
        return _ok(self.org.queries.run(text, include_deleted, batch, request.version))

    # --- composite ------------------------------------------------------------------------------------------
    def composite(self, request: Request, parts: list[str]) -> Response:
        if parts and parts[0] == "sobjects":
            return self.collections(request, parts[1:])
        if parts and parts[0] == "batch":
            return self.batch(request)
        if not parts:
            return self.composite_graph(request)
        raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")

    def collections(self, request: Request, parts: list[str]) -> Response:
        method = request.method
        if method == "DELETE":
            ids = [i for i in request.params.get("ids", "").split(",") if i]
            all_or_none = request.params.get("allOrNone", "false").lower() == "true"
            items = [(None, record_id) for record_id in ids]
        else:
            body = request.json() or {}
            all_or_none = bool(body.get("allOrNone"))
            items = body.get("records") or []
        if len(items) > COLLECTION_LIMIT:
            raise RequestError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {COLLECTION_LIMIT} records into this call",
            )
        ctx = self._ctx(request)
        with self.records.lock:
            savepoint = self.records.savepoint() if all_or_none else None
            results = [self._collection_item(method, parts, item, ctx) for item in items]
            if all_or_none and not all(r["success"] for r in results):
                self.records.rollback(savepoint)
                results = [r if not r["success"] else _rolled_back(r) for r in results]
        return _ok(results)

    def _collection_item(self, method: str, parts: list[str], item, ctx: WriteContext) -> dict:
        try:
            if method == "DELETE":
                record_id = item[1]
                sobject = self.org.sobject_for_id(record_id)
                self.records.delete(sobject, record_id, ctx)
                return {"id": record_id, "success": True, "errors": []}
            sobject = (item.get("attributes") or {}).get("type") or (parts[0] if parts else None)
            if not sobject or sobject not in self.records.schema["objects"]:
                raise WriteError("INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
            if method == "POST":
                if item.get("id") or item.get("Id"):
                    raise WriteError("INVALID_FIELD", "Record ID: cannot specify Id in an insert call", ["Id"])
                record = self.records.create(sobject, item, ctx)
                return {"id": record["Id"], "success": True, "errors": []}
            if method == "PATCH" and len(parts) == 2:
                field_name = parts[1]
                if item.get(field_name) in (None, ""):
                    raise WriteError("MISSING_ARGUMENT", f"{field_name} not specified", [field_name])
                record, created = self.records.upsert(sobject, field_name, item[field_name], item, ctx)
                return {"id": record["Id"], "success": True, "errors": [], "created": created}
            if method == "PATCH":
                record_id = item.get("id") or item.get("Id")
                record = self.records.update(sobject, record_id, item, ctx)
                return {"id": record["Id"], "success": True, "errors": []}
            raise WriteError("METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")
        except MultipleMatches as exc:
            return {
                "success": False,
                "errors": [
                    {
                        "statusCode": "DUPLICATE_EXTERNAL_ID",
                        "message": f"External ID matches several records: {exc.urls}",
                        "fields": [],
                    }
                ],
            }
        except WriteError as exc:
            result = {"success": False, "errors": [exc.as_error()]}
            if method == "DELETE":
                result["id"] = item[1]
            return result

    def batch(self, request: Request) -> Response:
        body = request.json() or {}
        subrequests = body.get("batchRequests") or []
        if len(subrequests) > 25:
            raise RequestError(400, "INVALID_BATCH_REQUEST", "A batch can contain up to 25 subrequests.")
        results, has_errors = [], False
        for sub in subrequests:
            response = self.sub_request(request, sub["method"], sub["url"], sub.get("richInput"))
            has_errors = has_errors or response.status >= 400
            results.append({"statusCode": response.status, "result": response.body})
            if has_errors and body.get("haltOnError"):
                break
        return _ok({"hasErrors": has_errors, "results": results})

    def composite_graph(self, request: Request) -> Response:
        body = request.json() or {}
        subrequests = body.get("compositeRequest") or []
        if len(subrequests) > 25:
            raise RequestError(
                400, "INVALID_COMPOSITE_REQUEST", "A composite request can contain up to 25 subrequests."
            )
        refs: dict[str, object] = {}
        responses = []
        savepoint = self.records.savepoint() if body.get("allOrNone") else None
        failed = False
        for sub in subrequests:
            if failed and savepoint is not None:
                responses.append(
                    _composite_entry(
                        sub,
                        400,
                        [
                            {
                                "errorCode": "PROCESSING_HALTED",
                                "message": "The transaction was rolled back since another operation in the same "
                                "transaction failed.",
                            }
                        ],
                    )
                )
                continue
            url = _substitute(sub["url"], refs)
            payload = (
                json.loads(_substitute(json.dumps(sub.get("body")), refs)) if sub.get("body") is not None else None
            )
            response = self.sub_request(request, sub["method"], url, payload)
            if isinstance(response.body, dict):
                refs[sub["referenceId"]] = response.body
            failed = failed or response.status >= 400
            responses.append(_composite_entry(sub, response.status, response.body))
        if failed and savepoint is not None:
            self.records.rollback(savepoint)
        return _ok({"compositeResponse": responses})

    def sub_request(self, parent: Request, method: str, url: str, body) -> Response:
        split = urlsplit(url)
        match = re.match(r"^/?(?:services/data/)?v(\d+\.\d)/(.*)$", split.path)
        if not match:
            return Response(
                404, [{"errorCode": "NOT_FOUND", "message": f"The requested resource does not exist: {url}"}]
            )
        params = {k: v[-1] for k, v in parse_qs(split.query).items()}
        sub = Request(
            method.upper(),
            match.group(2).strip("/"),
            match.group(1),
            params,
            parent.headers,
            json.dumps(body).encode() if body is not None else b"",
        )
        try:
            return self.handle(sub)
        except RequestError as exc:
            return Response(exc.status, exc.body())


def _write_error(exc: WriteError) -> Response:
    return Response(400, [{"message": exc.message, "errorCode": exc.code, "fields": exc.fields}])


def _rolled_back(result: dict) -> dict:
    return {
        "id": result.get("id"),
        "success": False,
        "errors": [
            {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the request was using "
                "AllOrNone header",
                "fields": [],
            }
        ],
    }


def _composite_entry(sub: dict, status: int, body) -> dict:
    return {"body": body, "httpHeaders": {}, "httpStatusCode": status, "referenceId": sub.get("referenceId")}


def _substitute(text: str, refs: dict) -> str:
    def replace(match):
        ref, _, path = match.group(1).partition(".")
        value = refs.get(ref)
        for key in path.split(".") if path else []:
            value = value.get(key) if isinstance(value, dict) else None
        return str(value) if value is not None else match.group(0)

    return re.sub(r"@\{([^}]+)\}", replace, text)
