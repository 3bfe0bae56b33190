"""Fixtures of the fault tests (marker `faults`): real worker, Beat, redis-server and emulated-org processes on the
test run's PostgreSQL database. tests/conftest.py leaves them out, saying so, when the run is not on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings

from tests.factories import point_celery_at
from tests.processes import LEASE_SECONDS, SWEEP_SECONDS, Installation, RedisServer, StandaloneOrg


def database_url() -> str:
    """The test database, as the subprocesses must reach it (transactional tests commit, so they see the data)."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def report(capsys):
    """Print a test's figure where `make test` shows it (pytest captures ordinary prints of passing tests)."""

    def write(line: str) -> None:
        with capsys.disabled():
            print(f"\n  figure: {line.strip()}")

    return write


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def standalone_org(tmp_path):
    org = StandaloneOrg(tmp_path).start()
    yield org
    org.stop()


@pytest.fixture
def installation(transactional_db, redis_server, standalone_org, tmp_path, monkeypatch):
    """An installation's processes (started by the test), and this process set up like them."""
    from changeevents.schedules import ensure_upstream_sweep

    point_celery_at(monkeypatch, redis_server.url)
    settings = override_settings(SCSYNC_LEASE_SECONDS=LEASE_SECONDS, SCSYNC_SWEEP_INTERVAL_SECONDS=SWEEP_SECONDS)
    settings.enable()
    ensure_upstream_sweep()
    site = Installation(database_url(), redis_server, standalone_org, tmp_path)
    site.redis, site.org = redis_server, standalone_org
    yield site
    site.stop()
    with connection.cursor() as cursor:  # a killed process's sessions must not outlive the test database
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE 'scsync-%%'"
        )
    settings.disable()


@pytest.fixture
def faults_org(installation):
    """A SalesforceOrg row that reaches the standalone emulated org (credentials from SF_FAULTS_* env vars)."""
    return make_org("Faults")


def make_org(name: str, poll_interval_seconds: int = 5, polls: bool = True, change_data_capture: bool = False):
    """An org reaching the standalone emulated org. Where several orgs write there, `polls=False` drops their
    downstream schedules: each would read the others' records as its own (real orgs are separate)."""
    from changeevents.schedules import remove_org_schedules
    from connectors.models import SalesforceOrg

    org = SalesforceOrg.objects.create(
        name=name,
        auth_method="session",
        credentials_env_prefix="SF_FAULTS",
        poll_interval_seconds=poll_interval_seconds,
        use_change_data_capture=change_data_capture,
    )
    if not polls:
        remove_org_schedules(org.pk)
    return org
