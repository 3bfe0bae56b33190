"""SalesforceClient: simple-salesforce with Collections helpers, normalised errors and bounded re-authentication.

simple-salesforce re-logs in on 401 only with login credentials and without a cap; this client never lets it
(it builds sessions itself) and re-authenticates at most once per call, one thread at a time per org.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator

import requests
from django.db import transaction
from django.utils import timezone
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from connectors.models import SalesforceOrg

from .connection import Connection, connection_for
from .results import RecordResult, SalesforceCallError, SalesforceFailure

logger = logging.getLogger(__name__)

COLLECTION_LIMIT = 200
TIMEOUT = (10, 120)  # connect, read (seconds)
USAGE_WRITE_SECONDS = 10
_clients: dict[int, SalesforceClient] = {}
_clients_lock = threading.Lock()


def client_for_org(org: SalesforceOrg) -> SalesforceClient:
    """A client per org per process, rebuilt when the org's connection settings change."""
    connection = connection_for(org)
    with _clients_lock:
        client = _clients.get(org.pk)
        if client is None or client.connection != connection:
            client = SalesforceClient(connection, org_id=org.pk)
            _clients[org.pk] = client
        return client


def forget_clients() -> None:
    with _clients_lock:
        _clients.clear()


def _failure_from_http(response: requests.Response) -> SalesforceFailure:
    status = response.status_code
    body = response.text
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
        failure = SalesforceFailure.from_error_dict(parsed[0], http_status=status, raw=body)
        if status >= 500 and failure.status_code == "UNKNOWN_EXCEPTION":
            return SalesforceFailure("HTTP_5XX", failure.message, failure.fields, status, body)
        return failure
    code = "HTTP_5XX" if status >= 500 else f"HTTP_{status}"
    return SalesforceFailure(code, f"Salesforce answered HTTP {status}: {body[:500]}", (), status, body)


class SalesforceClient:
    def __init__(self, connection: Connection, org_id: int | None = None):
        self.connection = connection
        self.org_id = org_id  # whose API usage the answers report (the dashboard's figure)
        self._usage_written_at = float("-inf")
        self._auth_lock = threading.Lock()
        self._generation = 0
        self.api_usage: tuple[int, int] | None = None
        self._organization_id: str | None = None
        self.sf = self._build()

    # --- sessions -----------------------------------------------------------------------------------------
    def _http_session(self) -> requests.Session:
        session = requests.Session()
        if self.connection.ca_file:
            session.verify = self.connection.ca_file
            # requests lets REQUESTS_CA_BUNDLE from the environment override session.verify; a private CA
            # (the emulated org, a corporate proxy's) must win, so this session ignores the environment.
            session.trust_env = False
        return session

    def _build(self, session_id: str | None = None) -> Salesforce:
        c = self.connection
        common = {"version": c.api_version, "session": self._http_session()}
        if c.auth_method == SalesforceOrg.AuthMethod.SESSION:
            return Salesforce(instance_url=c.instance_url, session_id=session_id or c.session_id, **common)
        domain = c.domain if c.domain in ("login", "test") else c.domain.removesuffix(".salesforce.com")
        if c.auth_method == SalesforceOrg.AuthMethod.JWT_BEARER:
            return Salesforce(
                username=c.username,
                consumer_key=c.consumer_key,
                privatekey_file=c.private_key_file,
                domain=domain,
                **common,
            )
        return Salesforce(
            username=c.username, password=c.password, security_token=c.security_token, domain=domain, **common
        )

    def _reauthenticate(self, seen_generation: int) -> None:
        """Get a new session once; threads that saw the same expired session wait and reuse it."""
        with self._auth_lock:
            if self._generation != seen_generation:
                return
            c = self.connection
            if c.auth_method == SalesforceOrg.AuthMethod.SESSION:
                self.sf = self._build(session_id=self._client_credentials_token())
            else:
                self.sf = self._build()
            self._generation += 1
            logger.info("re-authenticated with %s", c.instance_url or c.domain)

    @property
    def generation(self) -> int:
        """Which session this is: renew_session(generation) renews it only if no other thread has already."""
        return self._generation

    def renew_session(self, seen_generation: int) -> None:
        """Get a new session after the org refused this one outside the REST calls (the Pub/Sub API)."""
        self._reauthenticate(seen_generation)

    def organization_id(self) -> str:
        """The org's id (the Pub/Sub API's tenantid), from the OAuth userinfo endpoint, asked once per client (an
        org's id never changes)."""
        if self._organization_id is None:
            generation = self._generation
            response = self._userinfo()
            if response.status_code in (401, 403):
                self._reauthenticate(generation)
                response = self._userinfo()
            if response.status_code != 200:
                raise SalesforceCallError(_failure_from_http(response))
            self._organization_id = response.json()["organization_id"]
        return self._organization_id

    def _userinfo(self) -> requests.Response:
        sf = self.sf
        return sf.session.get(
            f"https://{sf.sf_instance}/services/oauth2/userinfo",
            headers={"Authorization": f"Bearer {sf.session_id}"},
            timeout=TIMEOUT,
        )

    def _client_credentials_token(self) -> str:
        c = self.connection
        if not (c.consumer_key and c.consumer_secret):
            raise SalesforceCallError(
                SalesforceFailure("INVALID_SESSION_ID", "Session expired and no client credentials to renew it.")
            )
        response = self._http_session().post(
            f"{c.instance_url.rstrip('/')}/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": c.consumer_key, "client_secret": c.consumer_secret},
            timeout=TIMEOUT,
        )
        if response.status_code != 200:
            raise SalesforceCallError(_failure_from_http(response))
        return response.json()["access_token"]

    # --- calls --------------------------------------------------------------------------------------------
    def call(self, path: str, method: str = "GET", **kwargs) -> object:
        """A REST call under /services/data/vNN.N/; raises SalesforceCallError with a normalised failure."""
        generation = self._generation
        try:
            return self._call_once(path, method, **kwargs)
        except SalesforceCallError as exc:
            if exc.failure.status_code != "INVALID_SESSION_ID":
                raise
        self._reauthenticate(generation)
        return self._call_once(path, method, **kwargs)

    def _call_once(self, path: str, method: str, **kwargs) -> object:
        kwargs.setdefault("timeout", TIMEOUT)
        with self._normalised_errors():
            return self.sf.restful(path, method=method, **kwargs)

    @contextlib.contextmanager
    def _normalised_errors(self):
        """Whatever simple-salesforce or requests raises becomes a SalesforceCallError; API usage is read after."""
        try:
            yield
        except SalesforceError as exc:
            raise SalesforceCallError(self._failure_from_exception(exc)) from exc
        except requests.Timeout as exc:
            raise SalesforceCallError(SalesforceFailure("TIMEOUT", f"No answer from Salesforce: {exc}")) from exc
        except requests.ConnectionError as exc:
            raise SalesforceCallError(SalesforceFailure("CONNECTION_ERROR", f"Connection failed: {exc}")) from exc
        except ValueError as exc:  # a body that is not JSON
            raise SalesforceCallError(SalesforceFailure("UNPARSEABLE_RESPONSE", str(exc))) from exc
        finally:
            self._read_usage()

    @staticmethod
    def _failure_from_exception(exc: SalesforceError) -> SalesforceFailure:
        content = exc.content
        raw = json.dumps(content) if not isinstance(content, str | bytes) else str(content)
        if isinstance(content, list) and content and isinstance(content[0], dict):
            failure = SalesforceFailure.from_error_dict(content[0], http_status=exc.status, raw=raw)
        else:
            failure = SalesforceFailure(f"HTTP_{exc.status}", str(content)[:500], (), exc.status, raw)
        if exc.status >= 500:
            return SalesforceFailure("HTTP_5XX", failure.message, failure.fields, exc.status, raw)
        return failure

    def _read_usage(self) -> None:
        usage = (self.sf.api_usage or {}).get("api-usage")
        if usage is not None:
            self.api_usage = (usage.used, usage.total)
            self._record_usage()

    def _record_usage(self) -> None:
        """Keep the org's API usage on its row, at most every USAGE_WRITE_SECONDS, after the caller's transaction
        (a dispatch or a poll) commits, so the org's row is never locked for the length of a batch."""
        now = time.monotonic()
        if self.org_id is None or now < self._usage_written_at + USAGE_WRITE_SECONDS:
            return
        self._usage_written_at = now
        org_id, (used, total) = self.org_id, self.api_usage
        transaction.on_commit(
            lambda: SalesforceOrg.objects.filter(pk=org_id).update(
                api_requests_used=used, api_requests_limit=total, api_usage_read_at=timezone.now()
            )
        )

    # --- sObject Collections ------------------------------------------------------------------------------
    def upsert_records(
        self, sobject: str, records: list[dict], external_id_field: str, headers: dict | None = None
    ) -> list[RecordResult]:
        """Collections upsert (PATCH composite/sobjects/{sobject}/{field}), <= 200 records, allOrNone false."""
        _check_size(records)
        body = {"allOrNone": False, "records": [{"attributes": {"type": sobject}, **r} for r in records]}
        items = self.call(
            f"composite/sobjects/{sobject}/{external_id_field}", method="PATCH", json=body, headers=headers or {}
        )
        return _results(items, len(records))

    def update_records(self, sobject: str, records: list[dict], headers: dict | None = None) -> list[RecordResult]:
        """Collections update by Id (PATCH composite/sobjects), <= 200 records each carrying "id", allOrNone false."""
        _check_size(records)
        body = {"allOrNone": False, "records": [{"attributes": {"type": sobject}, **r} for r in records]}
        items = self.call("composite/sobjects", method="PATCH", json=body, headers=headers or {})
        return _results(items, len(records))

    def delete_records(self, ids: list[str]) -> list[RecordResult]:
        """Collections delete by Id, <= 200 ids, allOrNone false."""
        _check_size(ids)
        items = self.call("composite/sobjects", method="DELETE", params={"ids": ",".join(ids), "allOrNone": "false"})
        return _results(items, len(ids))

    def query_all_page(self, soql: str) -> dict:
        """The first page of a queryAll (deleted rows included); `pages` follows it."""
        return self.call("queryAll/", params={"q": soql})

    def pages(self, page: dict) -> Iterator[dict]:
        """This page, then each next one through nextRecordsUrl (one call each, made when the next is asked for)."""
        while True:
            yield page
            if page.get("done", True):
                return
            page = self.call(f"query/{page['nextRecordsUrl'].rsplit('/', 1)[-1]}")

    def bulk_query_all(self, sobject: str, soql: str, wait: float = 0.2) -> Iterator[str]:
        """A Bulk API 2.0 queryAll job's result chunks (CSV text); errors normalised like every other call."""
        with self._normalised_errors():
            yield from getattr(self.sf.bulk2, sobject).query_all(soql, wait=wait)

    def composite_batch(self, subrequests: Iterable[dict], halt_on_error: bool = False) -> list[dict]:
        """composite/batch: up to 25 subrequests in one API call."""
        body = {"haltOnError": halt_on_error, "batchRequests": list(subrequests)}
        return self.call("composite/batch", method="POST", json=body)["results"]


def _check_size(items: list) -> None:
    if len(items) > COLLECTION_LIMIT:
        raise ValueError(f"sObject Collections take at most {COLLECTION_LIMIT} records, not {len(items)}.")


def _results(items: object, expected: int) -> list[RecordResult]:
    if not isinstance(items, list) or len(items) != expected:
        raise SalesforceCallError(
            SalesforceFailure(
                "UNPARSEABLE_RESPONSE", f"Expected {expected} results, got: {json.dumps(items)[:500]}", raw=str(items)
            )
        )
    return [RecordResult.from_collection_item(item) for item in items]
