"""The sync-health dashboard: per org the user may see, what is on, how much API budget is left, how far behind each
object is, what waits in the outbox, what failed over the last 48 hours; and whether the worker and Beat are alive.

A fixed number of queries whatever the number of orgs (each figure is grouped by org in one query), every one of
them through the same visible_to rule as the lists the dashboard links into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, Min, OuterRef
from django.db.models.functions import TruncHour
from django.utils import timezone

from changeevents.health import latest_heartbeats
from changeevents.models import ChangeEvent, ChangeStream, SyncCursor
from connectors.models import SalesforceOrg

from .charts import hourly_chart
from .models import SyncError
from .querysets import PROBLEM_COUNTS

HOURS = 48
BACKLOG = ("pending", "in_flight", "held", "failed")
LAGGING_AFTER = timedelta(minutes=15)  # an object not read for this long (polling is every few seconds) is red


@dataclass
class ObjectLag:
    sobject: str
    last_polled_at: datetime | None
    lag: timedelta | None
    last_error: str

    @property
    def lag_text(self) -> str:
        return duration_text(self.lag) if self.lag is not None else "never read"

    @property
    def late(self) -> bool:
        return self.lag is None or self.lag > LAGGING_AFTER or bool(self.last_error)


@dataclass
class OrgHealth:
    org: SalesforceOrg
    objects: list[ObjectLag] = field(default_factory=list)
    stream: ChangeStream | None = None
    stream_healthy: bool = False
    backlog: dict[str, int] = field(default_factory=dict)
    oldest_pending_at: datetime | None = None
    problems: int = 0
    held: int = 0
    opened: list[int] = field(default_factory=lambda: [0] * HOURS)
    resolved: list[int] = field(default_factory=lambda: [0] * HOURS)
    now: datetime = field(default_factory=timezone.now)

    @property
    def paused(self) -> bool:
        return bool(self.org.sending_paused_until and self.org.sending_paused_until > self.now)

    @property
    def api_share(self) -> float | None:
        used, limit = self.org.api_requests_used, self.org.api_requests_limit
        return used / limit if used is not None and limit else None

    @property
    def oldest_pending_age(self) -> timedelta | None:
        return self.now - self.oldest_pending_at if self.oldest_pending_at else None

    @property
    def worst_lag(self) -> timedelta | None:
        lags = [o.lag for o in self.objects if o.lag is not None]
        return max(lags) if lags else None

    @property
    def worst_lag_text(self) -> str:
        return duration_text(self.worst_lag)

    @property
    def warnings(self) -> list[str]:
        """Why this org needs a look, in plain words (empty: healthy)."""
        found = []
        if not self.org.triggers_enabled:
            found.append("sync triggers are off")
        if self.paused:
            found.append("sending is paused (API limit reached)")
        if self.problems:
            found.append(f"{self.problems} unresolved sync error(s)")
        if self.backlog.get("failed"):
            found.append(f"{self.backlog['failed']} failed change(s)")
        if self.api_share is not None and self.api_share >= 0.9:
            found.append("90% of the daily API requests used")
        if self.org.use_change_data_capture and not self.stream_healthy:
            found.append("the change subscription is down")
        if any(o.last_error for o in self.objects):
            found.append("an object's last poll failed")
        return found

    @property
    def healthy(self) -> bool:
        return not self.warnings

    @property
    def chart(self) -> str:
        return hourly_chart(self.opened, self.resolved, self.now)


@dataclass
class ProcessState:
    kind: str
    label: str
    last_beat_at: datetime | None
    alive: bool


@dataclass
class Dashboard:
    orgs: list[OrgHealth]
    processes: list[ProcessState]

    @property
    def processes_alive(self) -> bool:
        return all(p.alive for p in self.processes)


def dashboard_for(user, org_ids: list[int] | None = None) -> Dashboard:
    now = timezone.now()
    orgs = SalesforceOrg.objects.visible_to(user).order_by("name")
    if org_ids is not None:
        orgs = orgs.filter(pk__in=org_ids)
    health = {org.pk: OrgHealth(org=org, now=now) for org in orgs}
    ids = list(health)
    if ids:
        _cursors(health, ids, now)
        _streams(health, ids, now)
        _backlog(health, ids, user)
        _errors(health, ids, user, now)
    return Dashboard(orgs=list(health.values()), processes=_processes(now))


def _cursors(health, ids, now) -> None:
    for cursor in SyncCursor.objects.filter(org_id__in=ids).order_by("sobject"):
        lag = now - cursor.last_polled_at if cursor.last_polled_at else None
        health[cursor.org_id].objects.append(ObjectLag(cursor.sobject, cursor.last_polled_at, lag, cursor.last_error))


def _streams(health, ids, now) -> None:
    healthy = ChangeStream.objects.healthy(now).filter(pk=OuterRef("pk"))
    for stream in ChangeStream.objects.filter(org_id__in=ids).annotate(is_healthy=Exists(healthy)).order_by("pk"):
        health[stream.org_id].stream = stream
        health[stream.org_id].stream_healthy = stream.is_healthy


def _backlog(health, ids, user) -> None:
    events = ChangeEvent.objects.visible_to(user).filter(org_id__in=ids, status__in=BACKLOG).order_by()
    rows = events.values("org_id", "status").annotate(n=Count("pk"), oldest=Min("created_at"))
    for row in rows:
        org = health[row["org_id"]]
        org.backlog[row["status"]] = row["n"]
        if row["status"] == "pending":
            org.oldest_pending_at = row["oldest"]


def _errors(health, ids, user, now) -> None:
    visible = SyncError.objects.visible_to(user).filter(org_id__in=ids).order_by()
    open_rows = visible.unresolved().values("org_id").annotate(**PROBLEM_COUNTS)
    for row in open_rows:
        health[row["org_id"]].problems = row["every"] - row["held"]
        health[row["org_id"]].held = row["held"]
    start = (now - timedelta(hours=HOURS - 1)).replace(minute=0, second=0, microsecond=0)
    for column, series in (("created_at", "opened"), ("resolved_at", "resolved")):
        rows = (
            visible.filter(**{f"{column}__gte": start})
            .annotate(hour=TruncHour(column))
            .values("org_id", "hour")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            slot = int((row["hour"] - start).total_seconds() // 3600)
            if 0 <= slot < HOURS:
                getattr(health[row["org_id"]], series)[slot] += row["n"]


def _processes(now) -> list[ProcessState]:
    states = []
    for kind, (row, alive) in latest_heartbeats(now).items():
        states.append(ProcessState(kind, kind.label, row.last_beat_at if row else None, alive))
    return states


def duration_text(span: timedelta | None) -> str:
    """ "4 s", "12 min", "3 h", "2 days": a lag or an age at a glance."""
    if span is None:
        return "-"
    seconds = int(span.total_seconds())
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size * (2 if unit == "days" else 1):
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
