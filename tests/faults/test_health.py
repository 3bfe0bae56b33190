"""/health/ and the dashboard follow the real processes: green while a `celery worker` and `celery beat` write their
heartbeats, red naming the worker within the stale time after the worker is SIGKILLed, green again once a new
worker starts.

Real processes: prefork `celery worker` and `celery beat` subprocesses, a private redis-server and the test run's
PostgreSQL database; /health/ and the admin index are served in this process (the test client).
"""

import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.processes import wait_for

pytestmark = pytest.mark.faults
BEAT_EVERY, STALE_AFTER = 1, 4  # seconds (production: 10 and 60)
FAST = {"SCSYNC_HEARTBEAT_SECONDS": str(BEAT_EVERY), "SCSYNC_HEARTBEAT_STALE_SECONDS": str(STALE_AFTER)}
ALLOWANCE = 15  # a request's own time and the process start (generous, as fault bounds are)


def health(client) -> tuple[int, dict]:
    response = client.get("/health/", HTTP_ACCEPT="application/json")
    return response.status_code, response.json()


@override_settings(SCSYNC_HEARTBEAT_STALE_SECONDS=STALE_AFTER)
def test_health_turns_red_within_the_stale_time_when_the_worker_is_killed(installation, admin_user, report):
    site = installation
    client = Client()
    client.force_login(admin_user)
    site.beat(**FAST)
    worker = site.worker(**FAST)
    wait_for(lambda: health(client)[0] == 200, 30, "/health/ to be green with a live worker and Beat")

    worker.kill()  # SIGKILL: no clean stop, the heartbeat just stops
    killed_at = time.monotonic()
    status, checks = wait_for(
        lambda: (lambda r: r if r[0] == 500 else None)(health(client)),
        STALE_AFTER + BEAT_EVERY + ALLOWANCE,
        "/health/ to turn red",
        every=0.25,
    )
    red_after = time.monotonic() - killed_at
    dashboard = client.get(reverse("admin:index")).content.decode()

    assert [name for name, state in checks.items() if state != "OK"] == ["WorkerHeartbeat()"]
    assert 'class="process bad" id="process-worker"' in dashboard
    assert 'class="process ok" id="process-beat"' in dashboard

    site.worker(**FAST)
    wait_for(lambda: health(client)[0] == 200, 30, "/health/ to be green again with a new worker")
    assert site.errors() == []
    report(f"/health/ red {red_after:.1f} s after the worker's SIGKILL (stale after {STALE_AFTER} s), green again")
