"""/metrics in Prometheus's text format (prometheus-client), read from the database at each scrape, so every web,
worker and Beat process's work counts whichever process answers: change events by org and status, downstream lag
per org and object, API requests used, open sync errors by code, heartbeat ages and run durations.

Protected by SCSYNC_METRICS_TOKEN (`Authorization: Bearer <token>`); off (404) while it is empty. The figures cover
every org: the token is for the operator's monitoring, not for a store's staff.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db.models import Count, Max
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily

from changeevents.models import ChangeEvent, ProcessHeartbeat, RunDuration, SyncCursor
from connectors.models import SalesforceOrg

from .models import SyncError


class DatabaseCollector:
    def collect(self):
        now = timezone.now()
        events = GaugeMetricFamily("scsync_change_events", "Change events by org and status.", labels=["org", "status"])
        rows = ChangeEvent.objects.order_by().values_list("org__name", "status").annotate(n=Count("pk"))
        for org, status, n in rows:
            events.add_metric([org, status], n)
        yield events

        lag = GaugeMetricFamily(
            "scsync_downstream_lag_seconds", "Seconds since each object was last read.", labels=["org", "sobject"]
        )
        for org, sobject, polled in SyncCursor.objects.values_list("org__name", "sobject", "last_polled_at"):
            if polled is not None:
                lag.add_metric([org, sobject], (now - polled).total_seconds())
        yield lag

        used = GaugeMetricFamily("scsync_api_requests_used", "API requests used in the org's 24 hours.", labels=["org"])
        limit = GaugeMetricFamily("scsync_api_requests_limit", "The org's daily API request limit.", labels=["org"])
        for name, used_n, limit_n in SalesforceOrg.objects.values_list(
            "name", "api_requests_used", "api_requests_limit"
        ):
            if used_n is not None:
                used.add_metric([name], used_n)
                limit.add_metric([name], limit_n or 0)
        yield used
        yield limit

        errors = GaugeMetricFamily(
            "scsync_sync_errors_open", "Unresolved sync errors by org and status code.", labels=["org", "status_code"]
        )
        open_errors = SyncError.objects.unresolved().order_by().values_list("org__name", "status_code")
        for org, code, n in open_errors.annotate(n=Count("pk")):
            errors.add_metric([org, code], n)
        yield errors

        beats = GaugeMetricFamily(
            "scsync_heartbeat_age_seconds", "Seconds since a live process of each kind last beat.", labels=["kind"]
        )
        live = ProcessHeartbeat.objects.filter(stopped_at__isnull=True).order_by().values_list("kind")
        for kind, last in live.annotate(last=Max("last_beat_at")):
            beats.add_metric([kind], (now - last).total_seconds())
        yield beats

        runs = SummaryMetricFamily(
            "scsync_run_duration_seconds", "Durations of sweeps, dispatches and polls.", labels=["run"]
        )
        for run in RunDuration.objects.order_by("name"):
            runs.add_metric([run.name], count_value=run.count, sum_value=run.total_seconds)
        yield runs


def _authorised(request) -> bool:
    token = settings.SCSYNC_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return given.startswith("Bearer ") and hmac.compare_digest(given[len("Bearer ") :].encode(), token.encode())


@require_GET
def metrics(request):
    if not settings.SCSYNC_METRICS_TOKEN:
        return HttpResponse("Metrics are off: set SCSYNC_METRICS_TOKEN.\n", status=404, content_type="text/plain")
    if not _authorised(request):
        response = HttpResponse("Send Authorization: Bearer <SCSYNC_METRICS_TOKEN>.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="scsync-metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
