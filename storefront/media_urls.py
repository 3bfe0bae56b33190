"""Reading a media URL under the import policy. A media URL can come from Salesforce (`Product2.Media_URL__c`), so
it is untrusted input that makes this server fetch something:

- http(s) only; `file:` and `data:` only where SCSYNC_MEDIA_ALLOW_LOCAL_URLS is on (development);
- every address the host resolves to, at every hop of a redirect, must be public: no loopback (unless
  SCSYNC_ALLOW_LOOPBACK is on), private, shared, link-local, multicast, reserved or unspecified address. The check
  is made when the socket connects, on the address it connects to, so a DNS answer that changes between a check
  and the connection (DNS rebinding) gains nothing;
- bytes are counted while they are read, whatever the server declares;
- a message says what was wrong with the URL and never reveals a local path or whether a local file exists.

(advocate, the library that did this for requests, is unmaintained and written for urllib3 1; the check is the
small connection class below.)
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import mimetypes
import socket
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_REDIRECTS = 5
CHUNK = 65536


class MediaError(Exception):
    """Why a media URL could not be imported (the message is shown in the console)."""


def refused_address(address: str) -> str | None:
    """Why an IP address may not be fetched from, or None when it may."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if settings.SCSYNC_ALLOW_LOOPBACK else "loopback"
    for kind in ("private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "not public"


def _public_socket(connection) -> socket.socket:
    """Resolve the connection's host, refuse it unless every address is allowed, then connect to one of them."""
    host = connection.host.strip("[]").rstrip(".")
    try:
        answers = socket.getaddrinfo(host, connection.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise MediaError(f"the host {host} could not be resolved") from exc
    addresses = [info[4][0] for info in answers]
    for address in addresses:
        reason = refused_address(address)
        if reason:
            raise MediaError(f"the host {host} has a {reason} address: media is only fetched from public hosts")
    connection._dns_host = addresses[0]  # connect to the address checked, not to a fresh DNS answer
    return connection._plain_new_conn()


class _PublicHTTPConnection(HTTPConnection):
    _plain_new_conn = HTTPConnection._new_conn

    def _new_conn(self):
        return _public_socket(self)


class _PublicHTTPSConnection(HTTPSConnection):
    _plain_new_conn = HTTPSConnection._new_conn

    def _new_conn(self):
        return _public_socket(self)


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    """A requests adapter whose connections go only to allowed addresses (TLS still verifies the host name)."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would connect on our behalf, unchecked
    session.max_redirects = MAX_REDIRECTS
    adapter = PublicOnlyAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _read_http(url: str, limit: int) -> tuple[bytes, str]:
    try:
        with _session() as session, session.get(url, stream=True, timeout=(5, 30)) as response:
            if response.status_code != 200:
                raise MediaError(f"the server answered HTTP {response.status_code}")
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > limit:
                raise MediaError(f"the file is {declared} bytes; the limit is {limit}")
            body = bytearray()
            for chunk in response.iter_content(CHUNK):
                body += chunk
                if len(body) > limit:
                    raise MediaError(f"the file is larger than the limit of {limit} bytes")
            return bytes(body), response.headers.get("Content-Type", "").split(";")[0].strip()
    except requests.TooManyRedirects as exc:
        raise MediaError(f"more than {MAX_REDIRECTS} redirects") from exc
    except requests.RequestException as exc:
        raise MediaError(f"the server could not be reached or broke off ({type(exc).__name__})") from exc


def _read_file(url: str, limit: int) -> tuple[bytes, str]:
    path = Path(unquote(urlsplit(url).path))
    body = bytearray()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                body += chunk
                if len(body) > limit:
                    raise MediaError(f"the file is larger than the limit of {limit} bytes")
    except OSError as exc:
        raise MediaError("the file could not be read") from exc
    return bytes(body), mimetypes.guess_type(path.name)[0] or ""


def _read_data(url: str, limit: int) -> tuple[bytes, str]:
    header, _, payload = url[5:].partition(",")
    content_type = header.split(";")[0]
    if len(payload) * 3 // 4 > limit + 3:
        raise MediaError(f"the file is larger than the limit of {limit} bytes")
    try:
        body = base64.b64decode(payload, validate=True) if header.endswith(";base64") else unquote(payload).encode()
    except (binascii.Error, ValueError) as exc:
        raise MediaError(f"the data URL is not valid base64: {exc}") from exc
    if len(body) > limit:
        raise MediaError(f"the file is {len(body)} bytes; the limit is {limit}")
    return body, content_type


REMOTE = {"http": _read_http, "https": _read_http}
LOCAL = {"file": _read_file, "data": _read_data}


def fetch(url: str) -> tuple[bytes, str]:
    """The bytes and content type behind a media URL; raises MediaError naming what is wrong."""
    limit = settings.SCSYNC_MEDIA_MAX_BYTES
    scheme = urlsplit(url).scheme.lower()
    readers = {**REMOTE, **LOCAL} if settings.SCSYNC_MEDIA_ALLOW_LOCAL_URLS else REMOTE
    if scheme not in readers:
        if scheme in LOCAL:
            raise MediaError(f"{scheme}: URLs are not allowed here (SCSYNC_MEDIA_ALLOW_LOCAL_URLS is off): use http(s)")
        raise MediaError(f"unsupported URL scheme {scheme!r}: use http(s) URLs")
    body, content_type = readers[scheme](url, limit)
    if content_type not in settings.SCSYNC_MEDIA_CONTENT_TYPES:
        allowed = ", ".join(settings.SCSYNC_MEDIA_CONTENT_TYPES)
        raise MediaError(f"content type {content_type or 'unknown'!r} is not allowed (allowed: {allowed})")
    return body, content_type
