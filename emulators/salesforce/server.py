"""The emulated org's HTTPS server: a local CA made at start, sessions, API counting, faults, and the control API."""

from __future__ import annotations

import json
import socket
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import trustme

from ..access import CONTROL_TOKEN_HEADER, CONTROL_TOKEN_REFUSED, new_control_token, token_matches, write_private
from .control import Control
from .ids import ORG_ID, USER_ID
from .org import OrgState
from .pubsub import PubSubServer
from .records import RequestError
from .rest import Request, Response

API_PREFIX = "/services/data/"
CONTROL_PREFIX = "/_emulator/"
IO_TIMEOUT = 30.0  # seconds a TLS handshake, a request's head or its body may take
IDLE_TIMEOUT = 120.0  # seconds a kept-alive connection may wait for its next request
MAX_BODY = 150 * 1024 * 1024  # Bulk API 2.0's upload limit, the largest body Salesforce takes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: without this, +40 ms a call
    server_version = "SalesforceEmulator/1.0"

    def log_message(self, format, *args):  # noqa: A002 - quiet by default
        if self.server.verbose:
            super().log_message(format, *args)

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def parse_request(self) -> bool:
        self.connection.settimeout(self.server.io_timeout)  # the head and the body must come in time
        return super().parse_request()

    def do_GET(self):
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _serve(self) -> None:
        split = urlsplit(self.path)
        org: OrgState = self.server.org
        try:
            body = self._body()
        except RequestError as exc:  # the body could not be read: answer, then close the connection
            self.close_connection = True
            self._write(Response(exc.status, exc.body()), org)
            return
        try:
            if split.path.startswith(CONTROL_PREFIX):
                query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
                response = self._control(split.path[len(CONTROL_PREFIX) :], body, query)
            elif split.path.rstrip("/") == "/services/oauth2/token":
                response = self._token(body)
            elif split.path.rstrip("/") == "/services/oauth2/userinfo":
                response = self._userinfo(org)
            elif split.path.startswith(API_PREFIX):
                response = self._api(org, split, body)
                if response is None:
                    self._drop_connection()
                    return
            else:
                response = Response(
                    404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
                )
        except RequestError as exc:
            response = Response(exc.status, exc.body())
        except Exception as exc:  # an emulator bug must still answer like an org would
            response = Response(500, [{"errorCode": "UNKNOWN_EXCEPTION", "message": f"emulator error: {exc!r}"}])
        self._write(response, org)
        self.connection.settimeout(self.server.idle_timeout)

    def _body(self) -> bytes:
        """The request body: by Content-Length, or chunked; a late, short, oversized or unreadable one is refused."""
        try:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                return self._chunked_body()
            declared = (self.headers.get("Content-Length") or "0").strip()
            if not declared.isdigit():
                raise RequestError(400, "BAD_REQUEST", f"Content-Length {declared!r} is not a number of bytes")
            length = int(declared)
            if length > MAX_BODY:
                raise RequestError(413, "REQUEST_TOO_LARGE", f"The body exceeds {MAX_BODY} bytes")
            body = self.rfile.read(length) if length else b""
        except TimeoutError:
            raise RequestError(408, "REQUEST_TIMEOUT", "The request body did not arrive in time") from None
        if len(body) < length:
            raise RequestError(400, "BAD_REQUEST", f"The body ended after {len(body)} of {length} bytes")
        return body

    def _chunked_body(self) -> bytes:
        parts, size_so_far = [], 0
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise RequestError(400, "BAD_REQUEST", f"Bad chunk size {size_text[:20]!r}") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):  # trailers, then the blank line
                    pass
                return b"".join(parts)
            size_so_far += size
            if size_so_far > MAX_BODY:
                raise RequestError(413, "REQUEST_TOO_LARGE", f"The body exceeds {MAX_BODY} bytes")
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.readline(1024) not in (b"\r\n", b"\n"):
                raise RequestError(400, "BAD_REQUEST", "A chunk ended before its declared size")
            parts.append(chunk)

    def _control(self, name: str, body: bytes, query: dict) -> Response:
        if not token_matches(self.server.control_token, self.headers.get(CONTROL_TOKEN_HEADER)):
            return Response(401, {"error": CONTROL_TOKEN_REFUSED})
        return self.server.control.handle_http(self.command, name, body, query)

    def _api(self, org: OrgState, split, body: bytes) -> Response | None:
        rest = split.path[len(API_PREFIX) :]
        if rest.strip("/") == "":
            return Response(200, [{"version": "59.0", "label": "Winter '24", "url": "/services/data/v59.0"}])
        version, _, path = rest.partition("/")
        if not version.startswith("v"):
            raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip() or self.headers.get(
            "X-SFDC-Session", ""
        )
        if token not in org.sessions:
            return Response(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        if not org.count_call():
            return Response(403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
        fault = org.take_fault(path)
        if fault and fault["type"] == "latency":
            time.sleep(fault.get("ms", 100) / 1000)
        elif fault and fault["type"] == "http_5xx":
            status = fault.get("status", 503)
            code = "SERVER_UNAVAILABLE" if status == 503 else "UNKNOWN_EXCEPTION"
            return Response(
                status, [{"message": fault.get("message", "Server temporarily unavailable"), "errorCode": code}]
            )
        params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, path.strip("/"), version[1:], params, headers, body)
        response = org.rest.handle(request)
        org.publish_changes()
        self.server.mark_dirty()
        if fault and fault["type"] == "response_lost":
            return None  # the write is applied; the answer never arrives
        return response

    def _token(self, body: bytes) -> Response:
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()}
        grant = form.get("grant_type", "")
        expected = self.server.org.client_credentials
        if grant not in (
            "password",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "refresh_token",
        ):
            return Response(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
        if (
            expected
            and (form.get("client_id"), form.get("client_secret")) != expected
            and grant != "urn:ietf:params:oauth:grant-type:jwt-bearer"
        ):
            return Response(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        session = self.server.org.new_session()
        return Response(
            200,
            {
                "access_token": session,
                "instance_url": self.server.instance_url,
                "id": f"{self.server.instance_url}/id/{ORG_ID}/{USER_ID}",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": "emulated",
            },
        )

    def _userinfo(self, org: OrgState) -> Response:
        """Who the session belongs to (not an API call, as in Salesforce): a Pub/Sub client learns its tenantid."""
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if token not in org.sessions:
            return Response(403, {"error": "invalid_token", "error_description": "access token is invalid"})
        return Response(200, {"organization_id": ORG_ID, "user_id": USER_ID})

    def _drop_connection(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _write(self, response: Response, org: OrgState) -> None:
        if response.body is None:
            payload = b""
        elif isinstance(response.body, bytes):
            payload = response.body
        else:
            payload = json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Sforce-Limit-Info", f"api-usage={org.api_used}/{org.api_max}")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    """Accepts plain TCP; each connection's thread does its own TLS handshake, under a timeout.

    Handshaking in the accept loop (a TLS-wrapped listening socket) lets one silent connection stop every other.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, handler, context: ssl.SSLContext, io_timeout: float, idle_timeout: float):
        self.tls_context, self.io_timeout, self.idle_timeout = context, io_timeout, idle_timeout
        super().__init__(address, handler)

    def finish_request(self, request, client_address) -> None:
        request.settimeout(self.io_timeout)
        try:
            connection = self.tls_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return  # a silent or broken client: its thread ends, the socket is closed by shutdown_request
        try:
            self.RequestHandlerClass(connection, client_address, self)
        finally:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()


class EmulatedOrg:
    """An emulated Salesforce org on https://127.0.0.1:PORT. Use as a context manager, or start()/stop()."""

    def __init__(
        self,
        port: int = 0,
        seed: str | None = None,
        rules=None,
        schema: dict | None = None,
        state_file: str | Path | None = None,
        connection_file: str | Path | None = None,
        verbose: bool = False,
        host: str = "127.0.0.1",
        control_token: str | None = None,
        io_timeout: float | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        bulk_in_progress_seconds: float | None = None,
        pubsub_port: int = 0,
    ):
        self.host, self.port, self.pubsub_port = host, port, pubsub_port
        self.state_file = Path(state_file) if state_file else None
        self.connection_file = Path(connection_file).resolve() if connection_file else None
        self.org = OrgState(schema=schema)
        self.control = Control(self.org)
        self.verbose = verbose
        self.io_timeout = IO_TIMEOUT if io_timeout is None else io_timeout
        self.idle_timeout = idle_timeout
        if bulk_in_progress_seconds is not None:
            self.org.default_timings.bulk_in_progress_seconds = bulk_in_progress_seconds
            self.org.timings.bulk_in_progress_seconds = bulk_in_progress_seconds
        self.control_token = control_token or new_control_token()
        self._seed, self._rules = seed, rules
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="sf-emulator-")
        self.ca_file = Path(self._tmp.name) / "ca.pem"

    def start(self) -> EmulatedOrg:
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate = ca.issue_cert(self.host, "localhost")
        certificate.configure_cert(context)
        self.server = _Server((self.host, self.port), _Handler, context, self.io_timeout, self.idle_timeout)
        self.port = self.server.server_address[1]
        self.instance_url = f"https://{self.host}:{self.port}"
        self.pubsub = PubSubServer(
            self.org,
            self.host,
            self.pubsub_port,
            certificate.private_key_pem.bytes(),
            b"".join(pem.bytes() for pem in certificate.cert_chain_pems),
            self.instance_url,
            ORG_ID,
        )
        self.pubsub_port = self.pubsub.port
        self.pubsub_url = self.pubsub.address
        self.server.org, self.server.control, self.server.verbose = self.org, self.control, self.verbose
        self.server.instance_url, self.server.control_token = self.instance_url, self.control_token
        self.server.mark_dirty = self._dirty.set
        self._load_initial_state()
        self.session_id = self.org.new_session()
        self._write_connection_file()
        self._spawn(self.server.serve_forever)
        self.pubsub.start()
        if self.state_file:
            self._spawn(self._save_loop)
        return self

    def _load_initial_state(self) -> None:
        if self.state_file and self.state_file.exists():
            self.org.restore(json.loads(self.state_file.read_text()))
        elif self._seed:
            from .demo import seed_demo

            seed_demo(self.control, self._seed)
        if self._rules:
            rules = self._rules
            if isinstance(rules, str | Path):
                rules = json.loads(Path(rules).read_text())
            self.control.load_rules(rules.get("rules", []) if isinstance(rules, dict) else rules)

    @property
    def published_ca_file(self) -> Path:
        """The CA clients should trust: a stable copy beside the connection file, else the temporary one."""
        if self.connection_file:
            return self.connection_file.with_name("emulator-ca.pem")
        return self.ca_file

    def _write_connection_file(self) -> None:
        if self.connection_file:
            self.connection_file.parent.mkdir(parents=True, exist_ok=True)
            ca_copy = self.published_ca_file
            ca_copy.write_bytes(self.ca_file.read_bytes())
            write_private(
                self.connection_file,
                json.dumps(
                    {
                        "instance_url": self.instance_url,
                        "pubsub_url": self.pubsub_url,
                        "session_id": self.session_id,
                        "ca_file": str(ca_copy),
                        "client_id": "scsync-emulator",
                        "client_secret": "scsync-emulator-secret",
                        "control_token": self.control_token,
                    },
                    indent=2,
                ),
            )

    def _spawn(self, target) -> None:
        thread = threading.Thread(target=target, daemon=True, name=f"sf-emulator-{target.__name__}")
        thread.start()
        self._threads.append(thread)

    def _save_loop(self) -> None:
        while not self._stopping.wait(1.0):
            if self._dirty.is_set():
                self._dirty.clear()
                self.save()

    def save(self) -> None:
        if self.state_file:
            temporary = self.state_file.with_suffix(".tmp")
            write_private(temporary, json.dumps(self.org.dump()))
            temporary.replace(self.state_file)

    def stop(self) -> None:
        self._stopping.set()
        self.pubsub.stop()
        self.server.shutdown()
        self.server.server_close()
        self.save()
        self._tmp.cleanup()

    def __enter__(self) -> EmulatedOrg:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self, version: str = "59.0"):
        """An unmodified simple-salesforce client for this org, trusting its CA."""
        import requests
        from simple_salesforce import Salesforce

        session = requests.Session()
        session.verify = str(self.ca_file)
        session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides verify
        return Salesforce(instance_url=self.instance_url, session_id=self.session_id, session=session, version=version)
