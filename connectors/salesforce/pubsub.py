"""Salesforce's Pub/Sub API: subscribe to Change Data Capture events and turn them into REST-shaped rows.

gRPC over TLS to the org's Pub/Sub endpoint, with the org's session in the call metadata (`accesstoken`,
`instanceurl`, `tenantid`); an UNAUTHENTICATED answer renews the session once and subscribes again. Flow control:
the subscriber asks for `num_requested` events and asks again when the server has sent them all. Payloads are Avro,
decoded with the schema GetSchema returns (cached by schema id); `changedFields`, `nulledFields` and `diffFields`
are bitmaps of schema positions ("0x..." for top-level fields, "N-0x..." for the fields of compound field N),
expanded as the CDC developer guide describes.
"""

from __future__ import annotations

import datetime
import io
import json
import queue
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fastavro
import grpc

from .client import SalesforceClient
from .results import PARTIAL

try:
    from . import pubsub_api_pb2 as pb
except ImportError as exc:  # generated at build time, not committed
    raise ImportError(
        "connectors/salesforce/pubsub_api_pb2.py is missing: run `make install` (scripts/build-protos makes it)"
    ) from exc

ALL_CHANGES = "/data/ChangeEvents"
MAX_REQUESTED = 100  # the most one FetchRequest may ask for
CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),  # a silently dead connection is noticed within a minute
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
]
_EPOCH = datetime.date(1970, 1, 1)


class ReplayRefused(Exception):
    """The stored replay id is older than the events the org keeps (or not the topic's): read by polling instead."""


class StreamEnded(Exception):
    """The subscription ended (dropped, refused or the connection lost); the message says why."""


@dataclass
class ChangeRecord:
    """One change event: one REST-shaped row per record it names."""

    sobject: str
    rows: list[dict]
    replay_id: bytes
    needs_read: bool = False  # a gap event or a diff: the org must be read for the true values


@dataclass
class Batch:
    """What one FetchResponse brought: events (possibly none, a keepalive) and the stream's latest replay id."""

    records: list[ChangeRecord] = field(default_factory=list)
    latest_replay_id: bytes = b""

    @property
    def replay_id(self) -> bytes:
        """Where a subscription resumes once this batch is applied (empty: nowhere new)."""
        return self.records[-1].replay_id if self.records else self.latest_replay_id


class Subscriber:
    """One org's Pub/Sub API connection. Not shared between threads."""

    def __init__(self, client: SalesforceClient, num_requested: int = MAX_REQUESTED):
        if not 1 <= num_requested <= MAX_REQUESTED:
            raise ValueError(f"num_requested must be between 1 and {MAX_REQUESTED}, not {num_requested}")
        self.client, self.num_requested = client, num_requested
        connection = client.connection
        roots = Path(connection.ca_file).read_bytes() if connection.ca_file else None
        self.channel = grpc.secure_channel(
            connection.pubsub_endpoint, grpc.ssl_channel_credentials(root_certificates=roots), CHANNEL_OPTIONS
        )
        self._subscribe = self.channel.stream_stream(
            "/eventbus.v1.PubSub/Subscribe",
            request_serializer=pb.FetchRequest.SerializeToString,
            response_deserializer=pb.FetchResponse.FromString,
        )
        self._get_schema = self.channel.unary_unary(
            "/eventbus.v1.PubSub/GetSchema",
            request_serializer=pb.SchemaRequest.SerializeToString,
            response_deserializer=pb.SchemaInfo.FromString,
        )
        self._schemas: dict[str, tuple[dict, object]] = {}
        self._call = None
        self._requests: queue.Queue = queue.Queue()

    def close(self) -> None:
        self.cancel()
        self.channel.close()

    def cancel(self) -> None:
        """End the open subscription (from any thread): its iteration stops with StreamEnded."""
        self._requests.put(None)
        if self._call is not None:
            self._call.cancel()

    def _metadata(self) -> tuple:
        sf = self.client.sf
        return (
            ("accesstoken", sf.session_id),
            ("instanceurl", f"https://{sf.sf_instance}"),
            ("tenantid", self.client.organization_id()),
        )

    def schema(self, schema_id: str) -> tuple[dict, object]:
        """The schema (as JSON, and parsed for fastavro) of an event, fetched once per schema id."""
        if schema_id not in self._schemas:
            info = self._authenticated(
                lambda: self._get_schema(pb.SchemaRequest(schema_id=schema_id), metadata=self._metadata(), timeout=30)
            )
            document = json.loads(info.schema_json)
            self._schemas[schema_id] = (document, fastavro.parse_schema(document))
        return self._schemas[schema_id]

    def _authenticated(self, call):
        """Run a call; UNAUTHENTICATED renews the session once and runs it again."""
        for attempt in (1, 2):
            generation = self.client.generation
            try:
                return call()
            except grpc.RpcError as exc:
                if not self._renewed(exc, generation, attempt):
                    raise StreamEnded(_describe(exc)) from exc

    def subscribe(self, topic: str = ALL_CHANGES, replay_id: bytes | None = None) -> Iterator[Batch]:
        """Batches from after `replay_id` (None: from now), until cancel() or the stream ends (StreamEnded;
        ReplayRefused when the replay id is too old). The first batch, empty, says the org accepted it."""
        for attempt in (1, 2):
            generation = self.client.generation
            try:
                yield from self._stream(topic, replay_id)
                return
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.CANCELLED:
                    return
                if self._renewed(exc, generation, attempt):
                    continue
                if exc.code() == grpc.StatusCode.INVALID_ARGUMENT and "replayid" in _error_code(exc):
                    raise ReplayRefused(_describe(exc)) from exc
                raise StreamEnded(_describe(exc)) from exc

    def _renewed(self, exc: grpc.RpcError, generation: int, attempt: int) -> bool:
        """The one rule of both kinds of call: a first UNAUTHENTICATED renews the session (tried again after)."""
        if attempt == 1 and exc.code() == grpc.StatusCode.UNAUTHENTICATED:
            self.client.renew_session(generation)
            return True
        return False

    def _stream(self, topic: str, replay_id: bytes | None) -> Iterator[Batch]:
        self._requests = requests = queue.Queue()
        first = pb.FetchRequest(topic_name=topic, num_requested=self.num_requested)
        if replay_id:
            first.replay_preset, first.replay_id = pb.CUSTOM, replay_id
        else:
            first.replay_preset = pb.LATEST
        requests.put(first)

        def outgoing():
            while (request := requests.get()) is not None:
                yield request

        self._call = call = self._subscribe(outgoing(), metadata=self._metadata())
        call.initial_metadata()  # the org accepted the subscription (or refused it: then done, and it raises below)
        if not call.done():
            yield Batch()  # subscribed: nothing yet
        for response in call:
            if response.pending_num_requested == 0 and response.events:
                requests.put(pb.FetchRequest(topic_name=topic, num_requested=self.num_requested))
            yield Batch([self.decode(e) for e in response.events], response.latest_replay_id)

    # --- decoding -------------------------------------------------------------------------------------------
    def decode(self, consumer_event) -> ChangeRecord:
        document, parsed = self.schema(consumer_event.event.schema_id)
        record = fastavro.schemaless_reader(io.BytesIO(consumer_event.event.payload), parsed)
        return change_record(document, record, consumer_event.replay_id)


def change_record(document: dict, record: dict, replay_id: bytes = b"") -> ChangeRecord:
    """A decoded change event as rows the downstream applier takes: CREATE and UNDELETE whole rows, UPDATE rows
    with only the changed fields (nulled ones None) marked partial, DELETE rows with IsDeleted."""
    header = record["ChangeEventHeader"]
    change_type, sobject = header["changeType"], header["entityName"]
    out = ChangeRecord(sobject, [], replay_id)
    if change_type.startswith("GAP_") or header.get("diffFields"):
        out.needs_read = True  # no values (a gap), or a text field's diff instead of its value
        return out
    values = _flat_values(document, record)
    for record_id in header["recordIds"]:
        if change_type == "DELETE":
            row = {"Id": record_id, "IsDeleted": True}
        elif change_type == "UPDATE":
            names = field_names(document, header["changedFields"]) + field_names(document, header["nulledFields"])
            row = {"Id": record_id, "IsDeleted": False, PARTIAL: True} | {n: values.get(n) for n in names}
        else:
            row = {"Id": record_id, "IsDeleted": False} | values
        out.rows.append(row)
    return out


def field_names(document: dict, bitmaps: list[str]) -> list[str]:
    """The flat field names a changedFields / nulledFields / diffFields bitmap list names."""
    fields = document["fields"]
    names: list[str] = []
    nested = {}
    for text in bitmaps:
        parent, dash, bits = text.partition("-")
        if dash:
            nested[int(parent)] = int(bits, 16)
    for text in bitmaps:
        if "-" in text:
            continue
        for position in _positions(int(text, 16)):
            spec = fields[position]
            children = _record_fields(spec)
            if children is None:
                names.append(spec["name"])
                continue
            chosen = nested.get(position)
            for index, child in enumerate(children):
                if chosen is None or chosen >> index & 1:
                    names.append(_flat_name(spec["name"], child["name"]))
    return names


def _positions(bits: int) -> list[int]:
    return [i for i in range(bits.bit_length()) if bits >> i & 1]


def _record_fields(spec: dict) -> list[dict] | None:
    """The child fields of a compound field (a record, or a union with one), else None."""
    kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    for kind in kinds:
        if isinstance(kind, dict) and kind.get("type") == "record":
            return kind["fields"]
    return None


def _flat_name(parent: str, child: str) -> str:
    """A compound field's part as the REST API names it: BillingAddress.Street -> BillingStreet, Name.FirstName ->
    FirstName."""
    return parent.removesuffix("Address") + child if parent.endswith("Address") else child


def _flat_values(document: dict, record: dict) -> dict:
    values = {}
    for spec in document["fields"]:
        name = spec["name"]
        if name == "ChangeEventHeader":
            continue
        value = record.get(name)
        children = _record_fields(spec)
        if children is not None:
            for child in children:
                child_value = (value or {}).get(child["name"])
                values[_flat_name(name, child["name"])] = _rest_value(child, child_value)
        else:
            values[name] = _rest_value(spec, value)
    return values


def _rest_value(spec: dict, value):
    """An Avro value as the REST API writes it: DateTime as 2024-01-02T03:04:05.000+0000, Date as 2024-01-02."""
    if value is None:
        return None
    doc = spec.get("doc", "")
    if doc == "Data:DateTime":
        moment = datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value % 1000:03d}+0000"
    if doc == "Data:Date":
        return (_EPOCH + datetime.timedelta(days=value)).isoformat()
    return value


def _error_code(exc: grpc.RpcError) -> str:
    for key, value in exc.trailing_metadata() or ():
        if key == "error-code":
            return value
    return ""


def _describe(exc: grpc.RpcError) -> str:
    code = _error_code(exc)
    return f"{exc.code().name}: {exc.details()}" + (f" ({code})" if code else "")
