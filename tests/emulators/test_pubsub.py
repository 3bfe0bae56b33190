"""The emulated org's Pub/Sub API as a gRPC client sees it (TLS with the org's CA, the org's session in the
metadata): change events for REST, Collections, composite, Bulk and the Recycle Bin, merged per transaction, in
replay order; flow control, retention, authentication and faults. The raw gRPC generic API, no product code."""

import io
import json
import queue
import time

import fastavro
import grpc
import pytest

from emulators.salesforce import pubsub_api_pb2 as pb
from emulators.salesforce.ids import ORG_ID


class Client:
    def __init__(self, org, metadata=None):
        credentials = grpc.ssl_channel_credentials(root_certificates=org.ca_file.read_bytes())
        self.channel = grpc.secure_channel(org.pubsub_url, credentials)
        self.metadata = metadata or (
            ("accesstoken", org.session_id),
            ("instanceurl", org.instance_url),
            ("tenantid", ORG_ID),
        )
        self._subscribe = self.channel.stream_stream(
            "/eventbus.v1.PubSub/Subscribe",
            request_serializer=pb.FetchRequest.SerializeToString,
            response_deserializer=pb.FetchResponse.FromString,
        )
        self._schema = self.channel.unary_unary(
            "/eventbus.v1.PubSub/GetSchema",
            request_serializer=pb.SchemaRequest.SerializeToString,
            response_deserializer=pb.SchemaInfo.FromString,
        )
        self.topic = self.channel.unary_unary(
            "/eventbus.v1.PubSub/GetTopic",
            request_serializer=pb.TopicRequest.SerializeToString,
            response_deserializer=pb.TopicInfo.FromString,
        )
        self.requests: queue.Queue = queue.Queue()

    def subscribe(self, topic="/data/ChangeEvents", num_requested=100, preset=pb.LATEST, replay_id=b""):
        self.requests.put(
            pb.FetchRequest(topic_name=topic, num_requested=num_requested, replay_preset=preset, replay_id=replay_id)
        )

        def outgoing():
            while (request := self.requests.get()) is not None:
                yield request

        self.call = self._subscribe(outgoing(), metadata=self.metadata, timeout=60)  # a hang fails, not stalls
        self.call.initial_metadata()
        return self.call

    def decode(self, consumer_event) -> dict:
        info = self._schema(pb.SchemaRequest(schema_id=consumer_event.event.schema_id), metadata=self.metadata)
        schema = fastavro.parse_schema(json.loads(info.schema_json))
        return fastavro.schemaless_reader(io.BytesIO(consumer_event.event.payload), schema)

    def events(self, count: int, within: float = 10.0) -> list[dict]:
        """The next `count` events, decoded, with their replay numbers (keepalives come every 0.2 s)."""
        out = []
        deadline = time.monotonic() + within
        for response in self.call:
            assert time.monotonic() < deadline, f"only {len(out)} of {count} events arrived"
            for event in response.events:
                out.append(self.decode(event) | {"replay": int.from_bytes(event.replay_id, "big")})
            if len(out) >= count:
                return out
        raise AssertionError(f"the stream ended after {len(out)} events")

    def close(self):
        self.requests.put(None)
        self.call.cancel()
        self.channel.close()


@pytest.fixture
def client(emulated_org):
    emulated_org.control.set_timings(pubsub_keepalive_seconds=0.2)
    made = Client(emulated_org)
    yield made
    made.close()


def headers(events):
    return [
        (
            e["ChangeEventHeader"]["changeType"],
            e["ChangeEventHeader"]["entityName"],
            e["ChangeEventHeader"]["recordIds"],
        )
        for e in events
    ]


def test_pubsub_rest_create_update_delete_and_recycle_bin_undelete_publish_events_in_replay_order(emulated_org, client):
    sf = emulated_org.client()
    client.subscribe()
    account = sf.Account.create({"Name": "Acme", "Phone": "1"})["id"]
    sf.Account.update(account, {"Name": "Acme 2", "Phone": None})
    sf.Account.delete(account)
    emulated_org.control.undelete_records("Account", [account])

    events = client.events(4)

    assert headers(events) == [(kind, "Account", [account]) for kind in ("CREATE", "UPDATE", "DELETE", "UNDELETE")]
    replays = [e["replay"] for e in events]
    assert replays == sorted(replays) and len(set(replays)) == 4
    create, update = events[0], events[1]
    assert create["Name"] == "Acme" and create["ChangeEventHeader"]["changeOrigin"] == "com/salesforce/api/rest/59.0"
    header = update["ChangeEventHeader"]
    assert update["Name"] == "Acme 2" and update["Phone"] is None and update["Website"] is None
    changed = int(header["changedFields"][0], 16)
    nulled = int(header["nulledFields"][0], 16)
    assert bin(changed).count("1") == 3  # Name, Phone, LastModifiedDate
    assert bin(nulled).count("1") == 1 and changed & nulled == nulled  # Phone
    assert header["commitUser"] and header["transactionKey"] and header["sequenceNumber"] == 1
    assert events[3]["Name"] == "Acme 2"  # an undelete brings the record back whole


def test_pubsub_the_same_change_to_several_records_in_one_transaction_is_one_event(emulated_org, client):
    sf = emulated_org.client()
    ids = [r["id"] for r in sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": True, "records": [{"attributes": {"type": "Lead"}, "LastName": f"L{n}", "Company": "C"}
                                       for n in range(3)]})]  # fmt: skip
    client.subscribe()
    working = [{"attributes": {"type": "Lead"}, "id": i, "Status": "Working - Contacted"} for i in ids]
    sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": working})
    sf.restful(f"composite/sobjects?ids={','.join(ids)}", method="DELETE")

    update, delete = client.events(2)

    assert update["ChangeEventHeader"]["recordIds"] == ids and update["Status"] == "Working - Contacted"
    assert delete["ChangeEventHeader"]["changeType"] == "DELETE" and delete["ChangeEventHeader"]["recordIds"] == ids


def test_pubsub_composite_and_bulk_writes_publish_events_and_a_rolled_back_one_publishes_none(emulated_org, client):
    sf = emulated_org.client()
    client.subscribe()
    refused = {"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v59.0/sobjects/Account", "referenceId": "a", "body": {"Name": "A"}},
        {"method": "POST", "url": "/services/data/v59.0/sobjects/Contact", "referenceId": "c", "body": {}},
    ]}  # fmt: skip
    sf.restful("composite", method="POST", json=refused)  # the contact lacks LastName: all rolled back
    sf.bulk2.Account.insert(records=[{"Name": "Bulk 1"}, {"Name": "Bulk 2"}])

    events = client.events(2)

    assert [e["Name"] for e in events] == ["Bulk 1", "Bulk 2"]
    assert {e["ChangeEventHeader"]["changeOrigin"] for e in events} == {"com/salesforce/api/bulkapi/59.0"}


def test_pubsub_flow_control_sends_no_more_than_requested(emulated_org, client):
    call = client.subscribe(num_requested=2)
    emulated_org.control.create_records("Account", [{"Name": f"F{n}"} for n in range(5)])

    first = next(r for r in call if r.events)
    assert len(first.events) <= 2
    sent = len(first.events)
    while sent < 2:
        sent += len(next(call).events)
    time.sleep(0.5)
    keepalive = next(call)
    assert not keepalive.events and keepalive.pending_num_requested == 0  # nothing more until asked
    client.requests.put(pb.FetchRequest(num_requested=3))
    assert len(client.events(3)) == 3


def test_pubsub_resumes_after_a_replay_id_and_refuses_one_older_than_retention(emulated_org, client):
    control = emulated_org.control
    control.create_records("Account", [{"Name": "Old"}])
    client.subscribe(preset=pb.EARLIEST)
    (old,) = client.events(1)
    control.create_records("Account", [{"Name": "Newer"}])
    client.close()

    again = Client(emulated_org)
    again.subscribe(preset=pb.CUSTOM, replay_id=old["replay"].to_bytes(8, "big"))
    assert [e["Name"] for e in again.events(1)] == ["Newer"]
    again.close()

    control.set_timings(event_retention_seconds=0)
    control.create_records("Account", [{"Name": "Newest"}])  # publishing prunes what is past retention
    late = Client(emulated_org)
    with pytest.raises(grpc.RpcError) as refused:
        late.subscribe(preset=pb.CUSTOM, replay_id=old["replay"].to_bytes(8, "big"))
        late.events(1)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert ("error-code", "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted") in list(
        refused.value.trailing_metadata()
    )


def test_pubsub_refuses_a_call_without_the_orgs_session_and_asks_of_at_most_100(emulated_org):
    stranger = Client(emulated_org, metadata=(("accesstoken", "nope"), ("instanceurl", emulated_org.instance_url)))
    with pytest.raises(grpc.RpcError) as refused:
        stranger.topic(pb.TopicRequest(topic_name="/data/ChangeEvents"), metadata=stranger.metadata)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "accesstoken" in refused.value.details() and "tenantid" in refused.value.details()

    greedy = Client(emulated_org)
    with pytest.raises(grpc.RpcError) as too_many:
        greedy.subscribe(num_requested=101)
        next(greedy.call)
    assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    topic = greedy.topic(pb.TopicRequest(topic_name="/data/Product_Variant__ChangeEvent"), metadata=greedy.metadata)
    assert topic.can_subscribe and topic.schema_id and topic.tenant_guid == ORG_ID
    with pytest.raises(grpc.RpcError) as unknown:
        greedy.topic(pb.TopicRequest(topic_name="/data/NoSuchChangeEvent"), metadata=greedy.metadata)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def test_pubsub_faults_drop_the_stream_and_delay_events(emulated_org, client):
    control = emulated_org.control
    call = client.subscribe()
    control.drop_change_streams(refuse_for_seconds=5)
    with pytest.raises(grpc.RpcError) as dropped:
        for _ in call:
            pass
    assert dropped.value.code() == grpc.StatusCode.UNAVAILABLE
    refused = Client(emulated_org)
    with pytest.raises(grpc.RpcError):
        refused.subscribe()
        next(refused.call)

    control.drop_change_streams(refuse_for_seconds=0)
    control.set_timings(event_delay_seconds=0.6)
    later = Client(emulated_org)
    later.subscribe()
    started = time.monotonic()
    control.create_records("Account", [{"Name": "Slow"}])
    assert later.events(1)[0]["Name"] == "Slow"
    assert time.monotonic() - started >= 0.5
    later.close()
