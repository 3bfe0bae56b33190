"""Connector runs under the rules of seed 004.

- 01 items whose product, variant or category changed are queued (storefront marks them);
- 02/06 an item whose channel data hash is unchanged is skipped;
- 03 editing a connector starts nothing: runs start from a refresh, the schedule or the command;
- 04 items queued while a run is in progress join it (the queue is re-read between batches);
- 05 a force refresh sends every visible item with all fields, exports no deletions, replaces the pending queue
  with visible items only, and waits for a run in progress;
- 07 filters are locked while a run is in progress (CatalogConnector.clean);
- 08 the active flag is re-read between small batches; a deactivated connector pauses;
- 09 reactivating resumes the paused run with the configuration it started with; a manual refresh applies the
  current configuration;
- 10 status mapping (mapping.shopify_product); 11/12 test environments, tag-limited runs, disable deletions.
"""

from __future__ import annotations

import os

from django.db import transaction
from django.utils import timezone

from ..leases import Lease, held_lock
from ..models import CatalogConnector, ConnectorItemState, ConnectorRun
from ..validators import first_invalid, shopify_variable, validate_shop_url
from .mapping import data_hash, exclusion, shopify_product
from .shopify import ChannelError, ShopifyChannel
from .sources import catalog_items

BATCH_SIZE = 10
State = ConnectorRun.State


class ConnectorBusy(Exception):
    """Another process is running this connector right now."""


def channel_for(connector: CatalogConnector) -> ShopifyChannel:
    """The connector's channel; its URL and variable names are checked again first, so a token is only ever read
    from a SHOPIFY_ variable and sent to a shop."""
    checks = [
        ("shop URL", validate_shop_url, connector.shop_url),
        ("access token variable", shopify_variable, connector.access_token_env),
    ]
    if connector.ca_file_env:
        checks.append(("CA file variable", shopify_variable, connector.ca_file_env))
    reason = first_invalid(checks)
    if reason:
        raise ChannelError(f"Connector {connector.name!r} has an {reason}")
    token = os.environ.get(connector.access_token_env, "")
    if not token:
        raise ChannelError(
            f"{connector.access_token_env} is not set (the access token of connector {connector.name!r})."
        )
    ca_file = os.environ.get(connector.ca_file_env, "") if connector.ca_file_env else ""
    return ShopifyChannel(connector.shop_url, token, ca_file or None, locale=connector.store.language)


@transaction.atomic
def request_refresh(connector: CatalogConnector, force: bool = False) -> ConnectorRun:
    """Queue a run. A manual refresh drops a paused run (rule 09: the new configuration applies); a force
    refresh replaces the pending queue with the visible items only (rule 05)."""
    connector.runs.filter(state=State.PAUSED).update(
        state=State.COMPLETED, ended_at=timezone.now(), message="Replaced by a manual refresh."
    )
    if force:
        items = catalog_items(connector.store_id)
        visible = [
            k for k, item in items.items() if item.status == "visible" and not exclusion(item, connector.config())
        ]
        connector.items.update(pending=False, pending_reason="")
        states = {s.item_key: s for s in connector.items.filter(item_key__in=visible)}
        ConnectorItemState.objects.bulk_create(
            [ConnectorItemState(connector=connector, item_key=k) for k in visible if k not in states]
        )
        connector.items.filter(item_key__in=visible).update(pending=True, pending_reason="force refresh")
    kind = ConnectorRun.Kind.FORCE_REFRESH if force else ConnectorRun.Kind.INCREMENTAL
    return ConnectorRun.objects.create(connector=connector, kind=kind)


def next_run(connector: CatalogConnector) -> ConnectorRun | None:
    """The run to work on: one in progress or paused (resume), else the oldest queued one."""
    current = connector.runs.filter(state__in=[State.IN_PROGRESS, State.PAUSED]).order_by("created_at").first()
    return current or connector.runs.filter(state=State.QUEUED).order_by("created_at").first()


def run_connector(connector_id: int, progress=None) -> ConnectorRun | None:
    """Work through the connector's runs until none is left or it is deactivated; returns the last run.

    The connector's lock (renewed between batches) means two processes never work on one run: a second one asking
    meanwhile gets ConnectorBusy (the holder picks up what was queued before it finishes); a holder that died
    frees the lock within one lease."""
    with held_lock(f"catalog-run:{connector_id}") as lease:
        if not lease:
            raise ConnectorBusy(connector_id)
        run = None
        while True:
            connector = CatalogConnector.objects.get(pk=connector_id)
            if not connector.active:
                return run
            upcoming = next_run(connector) or (request_refresh(connector) if _has_pending(connector) else None)
            if upcoming is None:
                return run
            run = upcoming
            RunProcessor(run, progress, lease).process()
            run.refresh_from_db()
            if run.state != State.COMPLETED:
                return run


def _has_pending(connector) -> bool:
    return connector.items.filter(pending=True).exists() or _unsent_keys(connector, catalog_items(connector.store_id))


def _unsent_keys(connector, items) -> list[str]:
    known = set(connector.items.values_list("item_key", flat=True))
    return [k for k in items if k not in known]


class RunProcessor:
    def __init__(self, run: ConnectorRun, progress=None, lease: Lease | None = None):
        self.run, self.connector, self.progress, self.lease = run, run.connector, progress, lease
        self.force = run.kind == ConnectorRun.Kind.FORCE_REFRESH
        self._channel = None

    @property
    def channel(self) -> ShopifyChannel:
        if self._channel is None:
            self._channel = channel_for(self.connector)
        return self._channel

    def process(self) -> None:
        run = self.run
        if run.state == State.QUEUED:
            run.state, run.started_at = State.IN_PROGRESS, timezone.now()
            run.config_snapshot = self.connector.config()
            run.remaining_keys = self._initial_queue()
        elif run.state == State.PAUSED:
            run.state, run.message = State.IN_PROGRESS, "Resumed."
        run.save()
        try:
            self._batches()
        except ChannelError as exc:
            run.state, run.message, run.ended_at = State.ERROR, str(exc), timezone.now()
            run.save()

    def _initial_queue(self) -> list[str]:
        pending = list(self.connector.items.filter(pending=True).values_list("item_key", flat=True))
        if self.force:
            return pending
        items = catalog_items(self.connector.store_id)
        sent_but_gone = list(
            self.connector.items.exclude(channel_id="")
            .exclude(item_key__in=list(items))
            .values_list("item_key", flat=True)
        )
        # every item is compared by hash (rule 06); queued ones first, so a change goes out early
        return list(dict.fromkeys(pending + list(items) + sent_but_gone))

    def _batches(self) -> None:
        run = self.run
        while True:
            if self.lease is not None:
                self.lease.renew()  # LeaseLost stops a run another process took over
            if not CatalogConnector.objects.filter(pk=self.connector.pk, active=True).exists():  # rule 08
                run.state, run.message = State.PAUSED, "Deactivated; resumes from here when reactivated."
                run.save()
                return
            if not self.force:  # rule 04: changes made during the run join it
                joined = self.connector.items.filter(pending=True).exclude(item_key__in=run.remaining_keys)
                run.remaining_keys += list(joined.values_list("item_key", flat=True))
            batch, rest = run.remaining_keys[:BATCH_SIZE], run.remaining_keys[BATCH_SIZE:]
            if not batch:
                run.state, run.ended_at, run.remaining_keys = State.COMPLETED, timezone.now(), []
                run.save()
                return
            items = catalog_items(self.connector.store_id, batch)
            for key in batch:
                self._item(key, items.get(key))
            run.remaining_keys = rest
            run.cost_points = round(run.cost_points + (self._channel.cost_spent if self._channel else 0), 1)
            if self._channel:
                self._channel.cost_spent = 0.0
            run.save()
            if self.progress is not None:
                self.progress.update(len(batch))

    def _item(self, key: str, item) -> None:
        config = self.run.config_snapshot
        state, _ = ConnectorItemState.objects.get_or_create(connector=self.connector, item_key=key)
        state.pending, state.pending_reason = False, ""
        reason = exclusion(item, config)
        if reason:
            self._not_exported(state, reason)
        else:
            self._export(state, shopify_product(item, config))
        state.save()

    def _not_exported(self, state: ConnectorItemState, reason: str) -> None:
        if self.force:
            state.last_result = f"skipped: {reason} (a force refresh exports no deletions)"
        elif state.channel_id and not self.run.config_snapshot.get("disable_deletions"):
            result = self.channel.product_delete(state.channel_id)
            if result.ok:
                state.channel_id, state.last_hash, state.last_sent_at = "", "", timezone.now()
                state.last_result = f"deleted: {reason}"
                self.run.deleted += 1
                return
            state.last_result = f"delete failed: {result.message}"
            self.run.failed += 1
            return
        else:
            state.last_result = f"skipped: {reason}" + (" (deletions disabled)" if state.channel_id else "")
        self.run.skipped += 1

    def _export(self, state: ConnectorItemState, product: dict) -> None:
        digest = data_hash(product)
        if not self.force and state.channel_id and state.last_hash == digest:
            state.last_result = "skipped: hash unchanged"
            self.run.skipped += 1
            return
        result = self.channel.product_set(product, state.channel_id)
        if result.ok:
            label = "force refresh" if self.force else ("changed" if state.last_hash else "new item")
            state.channel_id, state.last_hash, state.last_sent_at = result.channel_id, digest, timezone.now()
            state.last_result = f"sent: {label}"
            self.run.sent += 1
        else:
            state.last_result = f"failed: {result.message}"
            self.run.failed += 1
