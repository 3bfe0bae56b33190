"""The upstream dispatcher: claims pending change events and pushes each record's current state to Salesforce.

One cycle: claim due events by status (SKIP LOCKED on PostgreSQL), fold each record's events together, hold
what waits behind a failure, then per object, parents first, upsert current states through sObject
Collections on External_ID__c (200 a call), children naming parents by external ID; deletes go by Id,
children first. Every record's result is written in bulk. A call Salesforce refuses whole for one record's value
(JSON_PARSER_ERROR) is halved until that record is alone, so the others still sync.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from connectors.leases import Lease, LeaseLost, held_lock
from connectors.models import SalesforceOrg
from connectors.salesforce import SalesforceCallError, client_for_org

from .bulk_sql import update_rows
from .models import ChangeEvent
from .outbox import DELETED_IN_ORG, settle_deleted_on_both_sides
from .outcomes import HELD_BEHIND_PARENT, DispatchSummary, Outcomes
from .payloads import build_payload
from .registry import SyncMapping, registry
from .values import pushed_state_hash
from .wakeups import wake_taken, wake_upstream

logger = logging.getLogger(__name__)
# Codes for which Salesforce refuses a whole Collections call because of one record's value
REFUSED_WHOLE_FOR_A_VALUE = {"JSON_PARSER_ERROR"}
Status = ChangeEvent.Status
RecordKey = tuple[str, int]
ALREADY_DELETED = {"ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND"}
BLOCKING = (Status.FAILED, Status.HELD)


class SendingPaused(Exception):
    """Salesforce answered REQUEST_LIMIT_EXCEEDED: stop sending for this org until the pause ends."""


def claim_events(org_id: int, limit: int, owner: str) -> list[ChangeEvent]:
    """Claim up to `limit` due upstream events of an org with a lease; concurrent claimers skip locked rows."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.SCSYNC_LEASE_SECONDS)
    with transaction.atomic():
        due = ChangeEvent.objects.upstream().filter(org_id=org_id).due(now).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        ChangeEvent.objects.filter(id__in=ids).update(status=Status.IN_FLIGHT, claimed_until=lease, claimed_by=owner)
    return list(ChangeEvent.objects.filter(id__in=ids, claimed_by=owner).order_by("id"))


def renew_claims(owner: str) -> int:
    """Extend the lease of the events this owner still has in flight."""
    until = timezone.now() + timedelta(seconds=settings.SCSYNC_LEASE_SECONDS)
    return ChangeEvent.objects.in_flight().filter(claimed_by=owner).update(claimed_until=until)


def take_turn(org_id: int) -> DispatchSummary | None:
    """One fair turn of an org's upstream work (the dispatch task's whole job).

    Sends at most SCSYNC_DISPATCH_SHARE events under the org's lock, then, when due events remain, queues the
    org again behind the others. None when a dispatch of the org is already running (this one is a no-op).
    """
    wake_taken(org_id)
    summary = dispatch_org_alone(org_id, max_events=settings.SCSYNC_DISPATCH_SHARE)
    if summary is not None and summary.share_used and not summary.paused_until:
        wake_upstream(org_id)
    return summary


def dispatch_org_alone(org_id: int, max_events: int | None = None) -> DispatchSummary | None:
    """dispatch_org under the org's upstream lock, renewed as it goes (task and command alike); None when a
    dispatch of the org is already running, which makes this one a no-op."""
    with held_lock(f"upstream:{org_id}") as lease:
        return dispatch_org(org_id, max_events=max_events, lease=lease) if lease else None


def dispatch_org(
    org_id: int,
    batch_size: int = 2000,
    max_batches: int | None = None,
    max_events: int | None = None,
    lease: Lease | None = None,
) -> DispatchSummary:
    """Send an org's due upstream events until none are left (or `max_events` were claimed); returns what happened.

    With a lease, the org's lock and the batch's claims are renewed before every API call: should the lease be
    lost (this run stalled longer than a lease), the run stops and writes only the results it has.
    """
    summary = DispatchSummary()
    org = SalesforceOrg.objects.get(pk=org_id)
    owner = uuid.uuid4().hex
    batches = 0
    while max_batches is None or batches < max_batches:
        org.refresh_from_db(fields=["sending_paused_until"])
        if org.sending_paused_until and org.sending_paused_until > timezone.now():
            summary.paused_until = org.sending_paused_until
            break
        limit = batch_size if max_events is None else min(batch_size, max_events - summary.claimed)
        if limit <= 0:
            summary.share_used = ChangeEvent.objects.upstream().filter(org_id=org.pk).due().exists()
            break
        if lease is not None:
            lease.renew()
        events = claim_events(org.pk, limit, owner)
        if not events:
            break
        batches += 1
        summary.claimed += len(events)
        BatchDispatcher(org, owner, summary, lease).run(events)
    return summary


class BatchDispatcher:
    def __init__(self, org: SalesforceOrg, owner: str, summary: DispatchSummary, lease: Lease | None = None):
        self.org = org
        self.owner = owner
        self.summary = summary
        self.lease = lease
        self.outcomes = Outcomes(summary)
        self.failed_records: dict[RecordKey, ChangeEvent] = {}  # record -> root failed event
        self._client = None
        self._parent_refs: dict[str, list[tuple[str, str]]] = {}

    def parent_refs(self, mapping: SyncMapping) -> list[tuple[str, str]]:
        """(foreign-key attname, parent's model label) of each parent that is itself synced."""
        if mapping.label not in self._parent_refs:
            synced = {m.sobject: m.label for m in registry.all()}
            self._parent_refs[mapping.label] = [
                (mapping.model._meta.get_field(link.field).attname, synced[link.sobject])
                for link in mapping.parents
                if link.sobject in synced
            ]
        return self._parent_refs[mapping.label]

    @property
    def client(self):
        """The org's API client; every use is an API call, so it first keeps the lock and the claims alive."""
        if self.lease is not None and self.lease.renew():
            renew_claims(self.owner)
        if self._client is None:
            self._client = client_for_org(self.org)
        return self._client

    def run(self, events: list[ChangeEvent]) -> None:
        groups: dict[RecordKey, list[ChangeEvent]] = defaultdict(list)
        for event in events:
            groups[(event.model_label, event.object_pk)].append(event)
        retry_at = timezone.now()
        lease_lost = False
        try:
            self.hold_behind_earlier_events(groups)
            ordered = registry.parents_first()
            for mapping in ordered:
                self.send_upserts(mapping, self._groups_of(groups, mapping, deletes=False))
            for mapping in reversed(ordered):
                self.send_deletes(mapping, self._groups_of(groups, mapping, deletes=True))
        except SendingPaused:
            retry_at = self.summary.paused_until
        except LeaseLost:
            # another run holds the org now and may have reclaimed what we did not finish: leave those alone
            lease_lost = True
            logger.warning("org %s: lease lost mid-batch; results so far kept, the rest reclaimed", self.org.pk)
            raise
        finally:
            if not lease_lost:
                # whatever this cycle did not finish goes back untouched (at once, or when the pause ends)
                unfinished = [e for evs in groups.values() for e in evs if e.pk not in self.outcomes.changed]
                self.outcomes.defer(unfinished, until=retry_at)
            self.outcomes.write()

    @staticmethod
    def _groups_of(groups, mapping: SyncMapping, deletes: bool) -> dict[RecordKey, list[ChangeEvent]]:
        return {
            key: evs
            for key, evs in groups.items()
            if key[0] == mapping.label and (evs[-1].event_type == ChangeEvent.EventType.DELETE) == deletes
        }

    # --- holds --------------------------------------------------------------------------------------------
    def hold_behind_earlier_events(self, groups: dict[RecordKey, list[ChangeEvent]]) -> None:
        """A record's newer events wait while an older one failed (held) or is in another worker's hands."""
        if not groups:
            return
        batch_ids = [e.pk for evs in groups.values() for e in evs]
        earlier = (
            ChangeEvent.objects.upstream()
            .filter(model_label__in={k[0] for k in groups}, object_pk__in={k[1] for k in groups})
            .filter(status__in=(*BLOCKING, Status.IN_FLIGHT))
            .exclude(id__in=batch_ids)
            .order_by("id")
        )
        for blocking in earlier:
            key = (blocking.model_label, blocking.object_pk)
            if key not in groups or key in self.failed_records:
                continue
            if blocking.status == Status.IN_FLIGHT:
                self.outcomes.defer(groups.pop(key), until=blocking.claimed_until)
                continue
            root = blocking.blocked_by if blocking.status == Status.HELD and blocking.blocked_by else blocking
            if groups[key][-1].event_type == ChangeEvent.EventType.DELETE and root.last_status_code in DELETED_IN_ORG:
                # deleted here too: the changes the org refused are moot, and the delete goes (already done there)
                settle_deleted_on_both_sides(self.org.pk, *key)
                continue
            events = groups.pop(key)
            self.failed_records[key] = root
            self.outcomes.held(events, root, "INVALID_CHANGE_EVENT")

    def parent_blocks(self, mapping: SyncMapping, instances: list) -> dict[RecordKey, ChangeEvent | None]:
        """Parents that failed (-> their root event) or are still on their way (-> None) for these instances."""
        wanted = {
            (label, getattr(instance, attname))
            for instance in instances
            for attname, label in self.parent_refs(mapping)
            if getattr(instance, attname) is not None
        }
        blocks: dict[RecordKey, ChangeEvent | None] = {k: v for k, v in self.failed_records.items() if k in wanted}
        if not wanted:
            return blocks
        open_parent_events = (
            ChangeEvent.objects.upstream()
            .filter(model_label__in={k[0] for k in wanted}, object_pk__in={k[1] for k in wanted})
            .filter(status__in=(*BLOCKING, Status.PENDING, Status.IN_FLIGHT))
            .exclude(id__in=list(self.outcomes.changed))
            .select_related("blocked_by")
            .order_by("id")
        )
        for event in open_parent_events:
            key = (event.model_label, event.object_pk)
            if key not in wanted or blocks.get(key) is not None:
                continue
            if event.status in BLOCKING:
                blocks[key] = event.blocked_by if event.status == Status.HELD and event.blocked_by else event
            else:
                blocks.setdefault(key, None)
        return blocks

    # --- upserts ------------------------------------------------------------------------------------------
    def send_upserts(self, mapping: SyncMapping, groups: dict[RecordKey, list[ChangeEvent]]) -> None:
        if not groups:
            return
        parent_fields = [link.field for link in mapping.parents] + (["store", "org"] if mapping.sends_store else [])
        instances = {
            obj.pk: obj
            for obj in mapping.model.objects.select_related(*parent_fields).filter(pk__in=[k[1] for k in groups])
        }
        blocks = self.parent_blocks(mapping, list(instances.values()))
        ready: list[tuple[list[ChangeEvent], object, dict]] = []
        for key, events in groups.items():
            instance = instances.get(key[1])
            if instance is None:  # deleted since; its delete event carries the change
                self.outcomes.superseded(events)
                continue
            blocker = self._blocking_parent(mapping, instance, blocks)
            if blocker is False:
                ready.append((events, instance, build_payload(instance, mapping, events)))
            elif blocker is None:
                self.outcomes.defer(events)
            else:
                self.failed_records[key] = blocker
                self.outcomes.held(events, blocker, HELD_BEHIND_PARENT, build_payload(instance, mapping, events))
        kinds: dict[tuple[bool, bool], list] = defaultdict(list)  # (duplicates allowed, by Id) -> records
        for r in ready:
            kinds[(any(e.duplicate_rule_bypass for e in r[0]), bool(r[1].salesforce_id))].append(r)
        for (bypass, _), group in sorted(kinds.items()):
            for start in range(0, len(group), 200):
                self._upsert_chunk(mapping, group[start : start + 200], allow_duplicates=bypass)

    def _blocking_parent(self, mapping, instance, blocks) -> ChangeEvent | None | bool:
        """False: nothing blocks. None: a parent is still pending. An event: the parent's root failure."""
        result: ChangeEvent | None | bool = False
        for attname, label in self.parent_refs(mapping):
            key = (label, getattr(instance, attname))
            if key[1] is None or key not in blocks:
                continue
            if blocks[key] is not None:
                return blocks[key]
            result = None
        return result

    def _write_records(self, mapping: SyncMapping, chunk: list, headers: dict | None):
        """One Collections call for a chunk of one kind: records the org has confirmed are updated by their Id (so a
        push never depends on the org still holding the SCID, which the body restores), the others are upserted
        on External_ID__c (a retry after a lost answer updates instead of creating a second record)."""
        if chunk[0][1].salesforce_id:
            records = [payload | {"id": instance.salesforce_id} for _, instance, payload in chunk]
            return self.client.update_records(mapping.sobject, records, headers=headers)
        payloads = [payload for _, _, payload in chunk]
        return self.client.upsert_records(mapping.sobject, payloads, mapping.external_id, headers=headers)

    def _upsert_chunk(self, mapping: SyncMapping, chunk: list, allow_duplicates: bool = False) -> None:
        started = time.monotonic()
        headers = {"Sforce-Duplicate-Rule-Header": "allowSave=true"} if allow_duplicates else None
        try:
            results = self._write_records(mapping, chunk, headers)
        except SalesforceCallError as exc:
            self.summary.api_calls += 1
            if exc.failure.status_code in REFUSED_WHOLE_FOR_A_VALUE and len(chunk) > 1:
                # Salesforce reads the whole body before writing: one unreadable value refuses every record. Halve
                # the chunk until the records it cannot read are alone, so only they fail.
                middle = len(chunk) // 2
                self._upsert_chunk(mapping, chunk[:middle], allow_duplicates)
                self._upsert_chunk(mapping, chunk[middle:], allow_duplicates)
                return
            self._chunk_failed([(events, payload) for events, _, payload in chunk], exc, started)
            return
        self.summary.api_calls += 1
        duration = int((time.monotonic() - started) * 1000)
        pushed = []
        for (events, instance, payload), result in zip(chunk, results, strict=True):
            if result.success:
                self.outcomes.synced(events, result.id or "", duration)
                instance.salesforce_id = result.id or instance.salesforce_id
                instance.salesforce_hash = pushed_state_hash(instance, mapping)
                pushed.append(instance)
            else:
                self._failed(events, result.error, payload, duration)
        # queryset-level write: no signal, so storing the Id and the pushed state's hash records no new event;
        # with the hash, the next poll skips the website's own change coming back (no echo)
        update_rows(mapping.model, pushed, ["salesforce_id", "salesforce_hash"])

    def _failed(self, events, failure, payload, duration=0) -> None:
        """A transient failure is retried later while attempts remain; any other fails the record (held after)."""
        root = self.outcomes.attempt_failed(events, failure, payload, duration)
        if root is not None:
            self.failed_records[(root.model_label, root.object_pk)] = root

    def _chunk_failed(self, chunk: list[tuple[list[ChangeEvent], dict]], exc: SalesforceCallError, started) -> None:
        failure = exc.failure
        duration = int((time.monotonic() - started) * 1000)
        if failure.status_code == "REQUEST_LIMIT_EXCEEDED":
            self._pause_sending(failure)
        for events, payload in chunk:
            self._failed(events, failure, payload, duration)

    def _pause_sending(self, failure) -> None:
        until = timezone.now() + timedelta(seconds=settings.SCSYNC_LIMIT_PAUSE_SECONDS)
        SalesforceOrg.objects.filter(pk=self.org.pk).update(sending_paused_until=until)
        self.summary.paused_until = until
        logger.warning("org %s: %s; sending paused until %s", self.org.pk, failure.message, until)
        raise SendingPaused

    # --- deletes ------------------------------------------------------------------------------------------
    def send_deletes(self, mapping: SyncMapping, groups: dict[RecordKey, list[ChangeEvent]]) -> None:
        if not groups:
            return
        known = _known_salesforce_ids(groups)
        to_send: list[tuple[list[ChangeEvent], str]] = []
        for key, events in groups.items():
            salesforce_id = next((e.salesforce_id for e in reversed(events) if e.salesforce_id), known.get(key, ""))
            if salesforce_id:
                to_send.append((events, salesforce_id))
            else:  # never reached Salesforce: nothing to delete there
                self.outcomes.synced(events)
        for start in range(0, len(to_send), 200):
            chunk = to_send[start : start + 200]
            started = time.monotonic()
            try:
                results = self.client.delete_records([sfid for _, sfid in chunk])
            except SalesforceCallError as exc:
                self.summary.api_calls += 1
                self._chunk_failed([(events, {"Id": sfid}) for events, sfid in chunk], exc, started)
                continue
            self.summary.api_calls += 1
            for (events, sfid), result in zip(chunk, results, strict=True):
                if result.success or result.error.status_code in ALREADY_DELETED:
                    self.outcomes.synced(events, sfid)
                else:
                    self._failed(events, result.error, {"Id": sfid})


def _known_salesforce_ids(groups: dict[RecordKey, list[ChangeEvent]]) -> dict[RecordKey, str]:
    """Salesforce Ids learnt by earlier events of deleted records (a create synced after the delete was recorded)."""
    rows = (
        ChangeEvent.objects.upstream()
        .filter(model_label__in={k[0] for k in groups}, object_pk__in={k[1] for k in groups})
        .exclude(salesforce_id="")
        .values_list("model_label", "object_pk", "salesforce_id")
    )
    return {(label, pk): sfid for label, pk, sfid in rows}
