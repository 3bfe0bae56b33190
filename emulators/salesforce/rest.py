"""The REST API under /services/data/vNN.N/: sobjects, query, sObject Collections, composite, limits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from .ids import is_valid_id
from .query import batch_size_from
from .records import MultipleMatches, RequestError, WriteContext, WriteError
from .timeutil import format_ms, parse_datetime_literal

COLLECTION_LIMIT = 200
RETRIEVE_LIMIT = 2000
HALTED = [
    {
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in the same transaction failed.",
    }
]


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

    def object(self) -> dict:
        """The body as a JSON object ({} when empty); valid JSON of another type is JSON_PARSER_ERROR."""
        value = self.json()
        if value is None:
            return {}
        return json_object(value, "the request body")

    @property
    def allow_duplicates(self) -> bool:
        return "allowsave=true" in self.headers.get("sforce-duplicate-rule-header", "").replace(" ", "").lower()


@dataclass
class Response:
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json;charset=UTF-8"


def json_object(value, where: str) -> dict:
    if not isinstance(value, dict):
        token = {list: "START_ARRAY", str: "VALUE_STRING", bool: "VALUE_TRUE"}.get(type(value), "VALUE_NUMBER_INT")
        raise RequestError(
            400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of object from {token} value {value!r} in {where}"
        )
    return value


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
        if head == "search":
            return _ok(self.org.queries.search(request.params.get("q", "")))
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
                body = self._record_body(request, sobject)
                try:
                    with self.records.lock:
                        record = self.records.create(sobject, body, self._ctx(request))
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

    def _record_body(self, request: Request, sobject: str) -> dict:
        body = request.object()
        self.records.deserialise(sobject, body)
        return body

    def _ctx(self, request: Request) -> WriteContext:
        return WriteContext(
            stamp=self.records.stamp(),
            allow_duplicates=request.allow_duplicates,
            origin=f"com/salesforce/api/rest/{request.version}",
        )

    def by_id(self, request: Request, sobject: str, record_id: str) -> Response:
        with self.records.lock:
            if request.method == "GET":
                record = self.records.get(sobject, record_id)
                if record is None:
                    raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")
                return _ok(self._select(sobject, record, request.params.get("fields")))
            try:
                if request.method == "PATCH":
                    self.records.update(sobject, record_id, self._record_body(request, sobject), self._ctx(request))
                elif request.method == "DELETE":
                    self.records.delete(sobject, record_id, self._ctx(request))
                else:
                    raise RequestError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed.")
            except WriteError as exc:
                return _write_error(exc)
        return Response(204)

    def by_external_id(self, request: Request, sobject: str, field_name: str, value: str) -> Response:
        self.records.external_id_field(sobject, field_name)
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
                        sobject, field_name, value, self._record_body(request, sobject), self._ctx(request)
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
        if len(parts) == 1 and method in ("GET", "POST"):
            return self.retrieve(request, parts[0])
        if method == "DELETE":
            ids = [i for i in request.params.get("ids", "").split(",") if i]
            all_or_none = request.params.get("allOrNone", "false").lower() == "true"
            items = [(None, record_id) for record_id in ids]
        else:
            body = request.object()
            all_or_none = bool(body.get("allOrNone"))
            items = [json_object(item, "records") for item in body.get("records") or []]
            if method == "PATCH" and len(parts) == 2:
                self.records.external_id_field(parts[0], parts[1])
            self._deserialise_all(items, parts)
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

    def retrieve(self, request: Request, sobject: str) -> Response:
        """GET composite/sobjects/{type}?ids=&fields= (or POST with {"ids": [], "fields": []}): the records in the
        order asked, null for an Id that names no live record."""
        self.records.describe(sobject)
        if request.method == "GET":
            ids = [i for i in request.params.get("ids", "").split(",") if i]
            fields = [f for f in request.params.get("fields", "").split(",") if f]
        else:
            body = request.object()
            ids, fields = list(body.get("ids") or []), list(body.get("fields") or [])
        if not ids or not fields:
            missing = "ids" if not ids else "fields"
            raise RequestError(400, "MISSING_ARGUMENT", f"Required parameter '{missing}' is missing")
        if len(ids) > RETRIEVE_LIMIT:
            raise RequestError(400, "EXCEEDED_ID_LIMIT", f"cannot retrieve more than {RETRIEVE_LIMIT} records")
        canonical = []
        for name in fields:
            found = self.records.canonical_field(sobject, name.strip())
            if found is None:
                raise RequestError(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'.")
            canonical.append(found)
        with self.records.lock:
            rows = [self.records.get(sobject, i) if is_valid_id(i) else None for i in ids]
            return _ok([self._select(sobject, r, ",".join(["Id", *canonical])) if r else None for r in rows])

    def _deserialise_all(self, items: list[dict], parts: list[str]) -> None:
        """Salesforce reads every record of a collection before writing any: one unreadable value refuses all."""
        for item in items:
            sobject = (item.get("attributes") or {}).get("type") or (parts[0] if parts else None)
            if sobject in self.records.schema["objects"]:
                self.records.deserialise(sobject, item)

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
        body = request.object()
        subrequests = body.get("batchRequests") or []
        if len(subrequests) > 25:
            raise RequestError(400, "INVALID_BATCH_REQUEST", "A batch can contain up to 25 subrequests.")
        results, has_errors = [], False
        for sub in subrequests:
            if has_errors and body.get("haltOnError"):
                halted = [{"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}]
                results.append({"statusCode": 412, "result": halted})
                continue
            response = self.sub_request(request, sub["method"], sub["url"], sub.get("richInput"))
            has_errors = has_errors or response.status >= 400
            results.append({"statusCode": response.status, "result": response.body})
        return _ok({"hasErrors": has_errors, "results": results})

    def composite_graph(self, request: Request) -> Response:
        """Subrequests in order, each able to use earlier answers (@{ref.id}, @{ref.records[0].Id}); with allOrNone,
        one failure rolls back everything, and every other subrequest answers 400 PROCESSING_HALTED."""
        body = request.object()
        subrequests = body.get("compositeRequest") or []
        if len(subrequests) > 25:
            raise RequestError(
                400, "INVALID_COMPOSITE_REQUEST", "A composite request can contain up to 25 subrequests."
            )
        all_or_none = bool(body.get("allOrNone"))
        refs: dict[str, object] = {}
        responses = []
        with self.records.lock:  # one transaction: no other request sees what a rollback takes back
            savepoint = self.records.savepoint() if all_or_none else None
            failed = False
            for sub in subrequests:
                if failed and all_or_none:
                    responses.append(_composite_entry(sub, 400, HALTED))
                    continue
                response = self._graph_step(request, sub, refs)
                if isinstance(response.body, dict):
                    refs[sub["referenceId"]] = response.body
                failed = failed or response.status >= 400
                responses.append(_composite_entry(sub, response.status, response.body))
            if failed and all_or_none:
                self.records.rollback(savepoint)
                responses = [r if r["httpStatusCode"] >= 400 else _composite_entry(r, 400, HALTED) for r in responses]
        return _ok({"compositeResponse": responses})

    def _graph_step(self, request: Request, sub: dict, refs: dict) -> Response:
        try:
            url = _substitute(sub["url"], refs)
            payload = json.loads(_substitute(json.dumps(sub["body"]), refs)) if sub.get("body") is not None else None
        except UnresolvedReference as exc:
            message = (
                f"Invalid reference specified. No value for {exc.reference} found in {exc.name}. "
                f"Provided referenceId ('{exc.reference}')."
            )
            return Response(400, [{"errorCode": "PROCESSING_HALTED", "message": message}])
        return self.sub_request(request, sub["method"], url, payload)

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


class UnresolvedReference(Exception):
    def __init__(self, reference: str):
        super().__init__(reference)
        self.reference, self.name = reference, re.split(r"[.\[]", reference, maxsplit=1)[0]


def _substitute(text: str, refs: dict) -> str:
    """@{ref.field}, @{ref.records[0].Id}: . reads a field of a JSON object, [n] an item of a JSON array."""

    def replace(match):
        reference = match.group(1)
        steps = re.findall(r"([^.\[\]]+)|\[(\d+)\]", reference)
        value: object = refs
        for key, index in steps:
            if index:
                value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
            else:
                value = value.get(key) if isinstance(value, dict) else None
            if value is None:
                raise UnresolvedReference(reference)
        return str(value).lower() if isinstance(value, bool) else str(value)

    return re.sub(r"@\{([^}]+)\}", replace, text)
