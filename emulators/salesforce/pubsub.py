"""The emulated org's Pub/Sub API: gRPC over TLS (the org's local CA) on its own port, serving Subscribe,
GetSchema and GetTopic of package eventbus.v1 for the org's change events (changes.py).

Every call carries the metadata `accesstoken` (a live session), `instanceurl` (this org's) and `tenantid` (the
org id), else it is refused UNAUTHENTICATED, as Salesforce does. Subscribe honours flow control: it sends no more
events than the client asked for with `num_requested` (at most 100 a request), sends an empty FetchResponse with the
latest replay id as a keepalive when a subscription is idle, and refuses a CUSTOM replay id older than the events
the org still keeps (INVALID_ARGUMENT, error code ...replayid.corrupted, as Salesforce answers).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent import futures

import grpc

from .changes import ALL_CHANGES, event_name, replay_bytes, replay_number

try:
    from . import pubsub_api_pb2 as pb
except ImportError as exc:  # generated at build time, not committed
    raise ImportError(
        "emulators/salesforce/pubsub_api_pb2.py is missing: run `make install` (scripts/build-protos makes it)"
    ) from exc

SERVICE = "eventbus.v1.PubSub"
MAX_REQUESTED = 100
REPLAY_REFUSED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
TOPIC_NOT_FOUND = "sfdc.platform.eventbus.grpc.service.topic.not.found"
FETCH_REFUSED = "sfdc.platform.eventbus.grpc.fetch.invalid"
UNAVAILABLE = "sfdc.platform.eventbus.grpc.service.unavailable"
AUTH_REFUSED = "sfdc.platform.eventbus.grpc.service.auth.error"
WAKE_SECONDS = 0.2  # a stream looks at drops and its client this often while idle


class PubSubService:
    def __init__(self, org, instance_url: str, tenant_id: str):
        self.org, self.instance_url, self.tenant_id = org, instance_url, tenant_id

    # --- checks ---------------------------------------------------------------------------------------------
    def _authenticate(self, context) -> None:
        metadata = dict(context.invocation_metadata())
        problems = []
        if metadata.get("accesstoken") not in self.org.sessions:
            problems.append("accesstoken is not a valid session")
        if metadata.get("instanceurl", "").rstrip("/") != self.instance_url:
            problems.append(f"instanceurl must be {self.instance_url}")
        if metadata.get("tenantid") != self.tenant_id:
            problems.append(f"tenantid must be the org id {self.tenant_id}")
        if problems:
            _abort(context, grpc.StatusCode.UNAUTHENTICATED, AUTH_REFUSED, "; ".join(problems))

    def _sobject_of(self, topic: str, context) -> str | None:
        """None for /data/ChangeEvents, else the object of /data/<Object>ChangeEvent; an unknown topic aborts."""
        if topic == ALL_CHANGES:
            return None
        for sobject in self.org.schema["objects"]:
            if topic == f"/data/{event_name(sobject)}":
                return sobject
        _abort(context, grpc.StatusCode.NOT_FOUND, TOPIC_NOT_FOUND, f"topic {topic!r} does not exist")

    # --- RPCs -----------------------------------------------------------------------------------------------
    def get_topic(self, request, context):
        self._authenticate(context)
        sobject = self._sobject_of(request.topic_name, context)
        schema_id = ""
        if sobject:
            schema_id, _ = self.org.changes.schemas.of(sobject, self.org.records)
        return pb.TopicInfo(
            topic_name=request.topic_name,
            tenant_guid=self.tenant_id,
            can_publish=False,
            can_subscribe=True,
            schema_id=schema_id,
            rpc_id=str(uuid.uuid4()),
        )

    def get_schema(self, request, context):
        self._authenticate(context)
        schema = self.org.changes.schemas.by_id.get(request.schema_id)
        if schema is None:
            _abort(context, grpc.StatusCode.NOT_FOUND, "sfdc.platform.eventbus.grpc.schema.not.found", "no such schema")
        return pb.SchemaInfo(schema_json=json.dumps(schema), schema_id=request.schema_id, rpc_id=str(uuid.uuid4()))

    def subscribe(self, requests, context):
        self._authenticate(context)
        bus = self.org.changes
        drops = bus.drops  # a drop from now on ends this stream, even one before it is accepted
        if bus.refusing():
            _abort(context, grpc.StatusCode.UNAVAILABLE, UNAVAILABLE, "the Pub/Sub API is unavailable")
        first = next(requests, None)
        if first is None:
            return
        self._sobject_of(first.topic_name, context)
        position = self._start(first, context)
        credit = _Credit(bus.condition)
        credit.add(_requested(first, context))
        context.send_initial_metadata(())  # accepted: the client knows it is subscribed before any event
        reader = threading.Thread(target=self._read_requests, args=(requests, credit, context), daemon=True)
        reader.start()
        rpc_id = str(uuid.uuid4())
        last_sent = time.monotonic()
        while context.is_active():
            with bus.condition:
                if bus.drops != drops or credit.refused:
                    break
                events = bus.after(position, first.topic_name, credit.available) if credit.available else []
                if not events:
                    keepalive = self.org.timings.pubsub_keepalive_seconds
                    if time.monotonic() - last_sent < keepalive:
                        bus.condition.wait(min(WAKE_SECONDS, keepalive))
                        continue
                credit.available -= len(events)
                latest = bus.latest_visible()
            if events:
                position = events[-1].replay
            last_sent = time.monotonic()
            yield pb.FetchResponse(
                events=[_consumer_event(e) for e in events],
                latest_replay_id=replay_bytes(latest),
                rpc_id=rpc_id,
                pending_num_requested=credit.available,
            )
        if credit.refused:
            _abort(context, grpc.StatusCode.INVALID_ARGUMENT, FETCH_REFUSED, credit.refused)
        if context.is_active():
            _abort(context, grpc.StatusCode.UNAVAILABLE, UNAVAILABLE, "the stream was dropped")

    def _start(self, first, context) -> int:
        bus = self.org.changes
        with bus.condition:
            bus._prune()
            if first.replay_preset == pb.LATEST:
                return bus.latest()
            if first.replay_preset == pb.EARLIEST:
                return bus.gone_through
            number = replay_number(first.replay_id)
            if number is None or number < bus.gone_through or number > bus.latest():
                _abort(
                    context,
                    grpc.StatusCode.INVALID_ARGUMENT,
                    REPLAY_REFUSED,
                    "The Replay ID validation failed: it is older than the events kept or not one of this topic's.",
                )
            return number

    @staticmethod
    def _read_requests(requests, credit, context) -> None:
        try:
            for request in requests:
                try:
                    credit.add(_requested(request, None))
                except ValueError as exc:
                    credit.refuse(str(exc))
                    return
        except Exception:  # the client went away: the stream ends by itself
            return


class _Credit:
    """Events the client asked for and has not been sent yet."""

    def __init__(self, condition: threading.Condition):
        self.condition, self.available, self.refused = condition, 0, ""

    def add(self, count: int) -> None:
        with self.condition:
            self.available += count
            self.condition.notify_all()

    def refuse(self, reason: str) -> None:
        with self.condition:
            self.refused = reason
            self.condition.notify_all()


def _requested(request, context) -> int:
    count = request.num_requested
    if count <= 0 or count > MAX_REQUESTED:
        reason = f"num_requested must be between 1 and {MAX_REQUESTED}, not {count}"
        if context is None:
            raise ValueError(reason)
        _abort(context, grpc.StatusCode.INVALID_ARGUMENT, FETCH_REFUSED, reason)
    return count


def _consumer_event(event):
    return pb.ConsumerEvent(
        event=pb.ProducerEvent(id=event.event_id, schema_id=event.schema_id, payload=event.payload),
        replay_id=event.replay_id,
    )


def _abort(context, code, error_code: str, message: str):
    context.set_trailing_metadata((("error-code", error_code),))
    context.abort(code, message)


class PubSubServer:
    """The gRPC server, on host:port (0: any free port), with the org's TLS certificate."""

    def __init__(self, org, host: str, port: int, key_pem: bytes, cert_pem: bytes, instance_url: str, tenant_id):
        self.service = PubSubService(org, instance_url, tenant_id)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="sf-pubsub"))
        handlers = {
            "Subscribe": grpc.stream_stream_rpc_method_handler(
                self.service.subscribe,
                request_deserializer=pb.FetchRequest.FromString,
                response_serializer=pb.FetchResponse.SerializeToString,
            ),
            "GetSchema": grpc.unary_unary_rpc_method_handler(
                self.service.get_schema,
                request_deserializer=pb.SchemaRequest.FromString,
                response_serializer=pb.SchemaInfo.SerializeToString,
            ),
            "GetTopic": grpc.unary_unary_rpc_method_handler(
                self.service.get_topic,
                request_deserializer=pb.TopicRequest.FromString,
                response_serializer=pb.TopicInfo.SerializeToString,
            ),
        }
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
        credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)])
        self.port = self.server.add_secure_port(f"{host}:{port}", credentials)
        if not self.port:
            raise OSError(f"the Pub/Sub API could not listen on {host}:{port}")
        self.address = f"{host}:{self.port}"

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.service.org.changes.drop()  # open streams end at once instead of at the grace period
        self.server.stop(grace=0).wait(5)
