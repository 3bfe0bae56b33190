"""The emulated org on the wire: it keeps answering whatever one client does with its connection.

Raw sockets (TCP, then TLS with the org's CA) for what a well-behaved HTTP client never sends; the unmodified
simple-salesforce for the rest. Each test here runs its own org with short I/O timeouts (in-process server thread),
so a hang shows up as a failed test within seconds, not as a stuck session.
"""

import json
import socket
import ssl
import threading
import time

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest

from emulators.salesforce import EmulatedOrg

IO_TIMEOUT = 1.0


@pytest.fixture
def org():
    with EmulatedOrg(io_timeout=IO_TIMEOUT) as org:
        yield org


def _versions(org, timeout=5):
    """A plain HTTPS call with a client-side timeout: answers, or raises instead of hanging the test."""
    return requests.get(f"{org.instance_url}/services/data/", verify=str(org.ca_file), timeout=timeout)


def _tls(org) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(org.ca_file))
    raw = socket.create_connection((org.host, org.port), timeout=10)
    return context.wrap_socket(raw, server_hostname=org.host)


def _exchange(org, head: str, body: bytes = b"") -> bytes:
    """Send a raw request over TLS and read until the server closes or 10 s pass."""
    with _tls(org) as tls:
        tls.sendall(head.encode() + body)
        received = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                chunk = tls.recv(65536)
            except (TimeoutError, ssl.SSLError, ConnectionError):
                break
            if not chunk:
                break
            received += chunk
            if b"\r\n\r\n" in received and _complete(received):
                break
        return received


def _complete(received: bytes) -> bool:
    head, _, body = received.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _status(response: bytes) -> int:
    assert response, "the server never answered"
    return int(response.split(b" ", 2)[1])


def _request(org, method: str, path: str, headers: dict) -> str:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {org.host}", f"Authorization: Bearer {org.session_id}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


def test_wire_an_idle_connection_that_never_starts_tls_does_not_stop_others(org):
    idle = socket.create_connection((org.host, org.port))  # connected, never says a word
    try:
        assert _versions(org).status_code == 200
        assert org.client().Account.create({"Name": "Still serving"})["success"] is True
    finally:
        idle.close()


def test_wire_a_body_shorter_than_its_content_length_times_out_with_408(org):
    started = time.monotonic()
    head = _request(org, "POST", "/services/data/v59.0/sobjects/Account", {"Content-Length": "100"})

    response = _exchange(org, head, b'{"Name": "x"}')

    assert _status(response) == 408
    assert time.monotonic() - started < IO_TIMEOUT + 5
    assert org.control.records("Account") == []


def test_wire_a_content_length_that_is_not_a_number_is_answered_400(org):
    head = _request(org, "POST", "/services/data/v59.0/sobjects/Account", {"Content-Length": "abc"})

    response = _exchange(org, head, b'{"Name": "x"}')

    assert _status(response) == 400
    assert b"Content-Length" in response
    assert org.control.records("Account") == []


def test_wire_a_chunked_patch_is_applied(org):
    record_id = org.client().Account.create({"Name": "Before"})["id"]
    payload = json.dumps({"Name": "After chunks"}).encode()
    chunks = (
        b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (payload[:7], payload[7:])) + b"0\r\n\r\n"
    )
    head = _request(
        org,
        "PATCH",
        f"/services/data/v59.0/sobjects/Account/{record_id}",
        {"Transfer-Encoding": "chunked", "Content-Type": "application/json", "Connection": "close"},
    )

    response = _exchange(org, head, chunks)

    assert _status(response) == 204
    assert org.control.records("Account")[0]["Name"] == "After chunks"


def test_wire_valid_json_of_the_wrong_type_is_json_parser_error(org):
    sf = org.client()
    with pytest.raises(SalesforceMalformedRequest) as array:
        sf.Account.create([{"Name": "in a list"}])
    with pytest.raises(SalesforceMalformedRequest) as number:
        sf.restful("sobjects/Account", method="POST", data="5")
    with pytest.raises(SalesforceMalformedRequest) as records:
        sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [7]})

    for raised in (array, number, records):
        assert raised.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert org.control.records("Account") == []


def test_wire_a_backtracking_like_does_not_freeze_the_org(org):
    """Eight % on a 60-character value: a regex would backtrack for hours while holding the org's lock."""
    sf = org.client()
    sf.Account.create({"Name": "a" * 60})
    pattern = "%a" * 8 + "%b"
    answer: dict = {}

    def run_query():
        answer["result"] = sf.query(f"SELECT Id FROM Account WHERE Name LIKE '{pattern}'")

    thread = threading.Thread(target=run_query, daemon=True)
    thread.start()
    thread.join(timeout=10)

    assert not thread.is_alive(), "the LIKE query did not finish in 10 s"
    assert answer["result"]["totalSize"] == 0
    assert _versions(org).status_code == 200
    match = sf.query("SELECT Name FROM Account WHERE Name LIKE '%a%a%a%a%a%a%a%a'")
    assert match["totalSize"] == 1
