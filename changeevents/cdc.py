"""Real-time downstream: each org's Change Data Capture events, applied as they arrive; polling as the safety net.

`Listener` (run by `manage.py listen_changes`) holds one subscription thread per org with "Use Change Data
Capture" on, to `/data/ChangeEvents`. Each batch of events is applied by the poll's Applier (no echo, the conflict
rule, parents before children, per-row errors) and its last replay id is stored in the same transaction, so a
restart resumes after it (CUSTOM replay preset): nothing missed, nothing applied twice. A replay id the org no
longer keeps, a gap event, a diff or an update of a record not on the website is read by a cursor poll of the
objects concerned; then the stream goes on live.

While an org's subscription is healthy, its scheduled polls are only a safety net (safety_net.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from connectors.leases import Lease, LeaseLost
from connectors.models import SalesforceOrg
from connectors.salesforce import PARTIAL, client_for_org
from connectors.salesforce.pubsub import ALL_CHANGES, ReplayRefused, StreamEnded, Subscriber

from .downstream import held_rows, mappings_for, poll_org
from .downstream_apply import Applier, ApplySummary
from .failures import first_line
from .models import ChangeStream

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 1.0
RETRY_SECONDS = (1, 2, 5, 10, 30)  # waits before subscribing again after a stream ended, growing


# --- applying a batch -------------------------------------------------------------------------------------------
@dataclass
class BatchSummary(ApplySummary):
    events: int = 0
    unread: set[str] = field(default_factory=set)


def apply_changes(org: SalesforceOrg, records, arrived: frozenset[str] = frozenset()) -> BatchSummary:
    """Apply decoded change events, parents first; the held rows of children whose parents came (in these events,
    or `arrived` by a poll) are tried again. Objects that need reading whole (gaps, diffs, updates of records not
    here) are named in `unread`."""
    summary = BatchSummary(events=len(records))
    latest: dict[str, dict[str, dict]] = {}  # per object, per record: its rows in this batch, merged
    for record in records:
        if record.needs_read:
            summary.unread.add(record.sobject)
            continue
        rows_of_object = latest.setdefault(record.sobject, {})
        for row in record.rows:
            rows_of_object[row["Id"]] = _merged(rows_of_object.get(row["Id"]), row)
    rows = {sobject: list(by_id.values()) for sobject, by_id in latest.items()}
    held = held_rows(org)
    mappings = mappings_for()
    summary.unread &= {m.sobject for m in mappings}
    for mapping in mappings:
        mine = rows.get(mapping.sobject, [])
        parents_came = any(link.sobject in rows or link.sobject in arrived for link in mapping.parents)
        retry = held.get(mapping.sobject, []) if (mine or parents_came) else []
        if not mine and not retry:
            continue
        applier = Applier(org, mapping)
        summary += applier.apply([*retry, *mine])
        if applier.unread:
            summary.unread.add(mapping.sobject)
    return summary


def _merged(earlier: dict | None, row: dict) -> dict:
    """A record's later row in the same batch: an update (partial) adds its fields to the earlier row (a record
    created and renamed at once is one whole row); anything else replaces it."""
    if earlier is None or not row.get(PARTIAL) or earlier.get("IsDeleted"):
        return row
    merged = earlier | row
    if not earlier.get(PARTIAL):
        del merged[PARTIAL]
    return merged


# --- one org's subscription -------------------------------------------------------------------------------------
class OrgSubscription(threading.Thread):
    """Subscribes an org to its change events until stopped, subscribing again after a stream ends."""

    def __init__(self, org_id: int):
        super().__init__(name=f"cdc-org-{org_id}", daemon=True)
        self.org_id = org_id
        self.connected = False
        self.done = None
        self.subscriber: Subscriber | None = None
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()
        if self.subscriber is not None:
            self.subscriber.cancel()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def run(self) -> None:
        failures = 0
        try:
            while not self.stopped:
                close_old_connections()  # a connection a lost database broke is not used again
                failures = failures + 1 if self._once() else 0
                if failures:
                    self._stopped.wait(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1])
        finally:
            self._mark_down("")
            connection.close()

    def listen_once(self, done=None) -> None:
        """One subscription in the calling thread, until `done()` is true after a batch or the stream ends, handled
        as run() handles it (tests and the latency benchmark drive a subscription so)."""
        self.done = done
        self._once()

    def _once(self) -> bool:
        """Subscribe until the stream ends; returns whether it ended in trouble (said in the log and on the stream).
        A replay id the org no longer keeps is read by poll instead, and the next subscription starts live."""
        try:
            try:
                self._listen()
            except ReplayRefused as exc:
                self._read_instead(str(exc))
            return False
        except Exception as exc:  # a stream that ended, a lost database, a bad setting: said, tried again
            self._went_down(exc)
            return True

    def _listen(self) -> None:
        org = SalesforceOrg.objects.get(pk=self.org_id)
        stream, _ = ChangeStream.objects.get_or_create(org=org, channel=ALL_CHANGES)
        self.subscriber = Subscriber(client_for_org(org))
        try:
            replay_id = bytes(stream.replay_id) if stream.replay_id else None
            for batch in self.subscriber.subscribe(ALL_CHANGES, replay_id):
                if self.stopped:
                    return
                self._connected(stream)
                self._take(org, stream, batch)
                if self.done is not None and self.done():
                    return
        finally:
            self.subscriber.close()
            self.subscriber = None
        if not self.stopped and self.done is None:
            raise StreamEnded("the stream ended")

    def _connected(self, stream: ChangeStream) -> None:
        if not self.connected:
            now = timezone.now()
            ChangeStream.objects.filter(pk=stream.pk).update(
                connected_at=now, last_heard_at=now, last_error="", last_error_at=None
            )
            self.connected = True
            logger.info("change events of org %s: subscribed to %s", self.org_id, stream.channel)

    def _take(self, org, stream: ChangeStream, batch) -> None:
        """Apply a batch and store its last replay id in one transaction; read what it could not carry."""
        summary = None
        with transaction.atomic():
            now = timezone.now()
            fields = {"last_heard_at": now}
            if batch.records:
                summary = apply_changes(org, batch.records)
                fields |= {"last_event_at": now, "events_applied": F("events_applied") + len(batch.records)}
            if batch.replay_id:  # a keepalive's latest replay id too: a restart need not read past events again
                fields["replay_id"] = batch.replay_id
            ChangeStream.objects.filter(pk=stream.pk).update(**fields)
        if summary is not None:
            logger.info("change events of org %s: %s", self.org_id, summary)
            if summary.unread:
                self._poll(sorted(summary.unread), "events without whole rows")
                with transaction.atomic():  # children held for what the poll brought go in now
                    apply_changes(org, [], arrived=frozenset(summary.unread))

    def _read_instead(self, reason: str) -> None:
        """The stored replay id is too old: poll every object, then go on from the stream's tip."""
        logger.warning("change events of org %s: %s; reading by poll instead", self.org_id, reason)
        ChangeStream.objects.filter(org_id=self.org_id, channel=ALL_CHANGES).update(
            replay_id=None, last_error=f"replay id refused, read by poll: {reason}"[:2000], last_error_at=timezone.now()
        )
        self._poll([m.sobject for m in mappings_for()], "a replay id too old")

    def _poll(self, sobjects: list[str], why: str) -> None:
        summary = poll_org(self.org_id, sobjects=sobjects)
        logger.info("change events of org %s: polled %s (%s): %s", self.org_id, ", ".join(sobjects), why, summary)

    def _went_down(self, exc: Exception) -> None:
        reason = first_line(exc) or type(exc).__name__
        logger.warning("change events of org %s: subscription ended: %s", self.org_id, reason)
        self._mark_down(reason)

    def _mark_down(self, reason: str) -> None:
        self.connected = False
        try:
            updates = {"connected_at": None}
            if reason:
                updates |= {"last_error": reason[:2000], "last_error_at": timezone.now()}
            ChangeStream.objects.filter(org_id=self.org_id).update(**updates)
        except Exception:  # the database itself is gone: the heartbeat goes stale instead
            logger.debug("could not mark org %s's stream down", self.org_id, exc_info=True)


# --- the listener ---------------------------------------------------------------------------------------------
class Listener:
    """Every org with Change Data Capture on gets a subscription; orgs switched off are let go. An org's
    subscription is held under a lease ("cdc:<org>"), so a second listener process subscribes only the orgs the
    first lets go or whose listener died. Heartbeats renew the leases and mark the connected streams heard from,
    so a dead listener's streams go stale and polling takes over."""

    def __init__(self, org_ids: list[int] | None = None):
        self.only = set(org_ids) if org_ids else None
        self.stopping = threading.Event()
        self.subscriptions: dict[int, OrgSubscription] = {}
        self.leases: dict[int, Lease] = {}

    def wanted(self) -> set[int]:
        orgs = SalesforceOrg.objects.filter(use_change_data_capture=True)
        if self.only is not None:
            orgs = orgs.filter(pk__in=self.only)
        return set(orgs.values_list("pk", flat=True))

    def step(self) -> None:
        """One round: start and stop subscriptions to match the switches, and beat for the held ones."""
        wanted = self.wanted()
        for org_id in list(self.subscriptions):
            lost = False
            try:
                self.leases[org_id].renew()
            except LeaseLost:
                lost = True
                logger.warning("change events of org %s: another listener took the org over", org_id)
            if lost or org_id not in wanted or not self.subscriptions[org_id].is_alive():
                self._let_go(org_id)  # a dead thread is started again below
        for org_id in wanted - set(self.subscriptions):
            lease = Lease(f"cdc:{org_id}", settings.SCSYNC_LEASE_SECONDS)
            if not lease:
                continue  # another listener holds it
            self.leases[org_id] = lease
            self.subscriptions[org_id] = OrgSubscription(org_id)
            self.subscriptions[org_id].start()
        connected = [o for o, s in self.subscriptions.items() if s.connected]
        if connected:
            ChangeStream.objects.filter(org_id__in=connected, connected_at__isnull=False).update(
                last_heard_at=timezone.now()
            )

    def _let_go(self, org_id: int) -> None:
        subscription = self.subscriptions.pop(org_id)
        subscription.stop()
        subscription.join(timeout=10)
        self.leases.pop(org_id).release()

    def run(self, until: threading.Event | None = None) -> None:
        until = until or self.stopping
        try:
            while not until.is_set():
                try:
                    self.step()
                except Exception as exc:  # the database went away for a moment: the next beat tries again
                    logger.warning("change listener: %s", first_line(exc))
                    close_old_connections()
                until.wait(HEARTBEAT_SECONDS)
        finally:
            self.stop()

    def stop(self) -> None:
        self.stopping.set()
        for org_id in list(self.subscriptions):
            self._let_go(org_id)
