"""Shared fixtures: the emulated org, a staff user bound to a store, and a logged-in admin."""

import pytest

from tests.factories import StoreFactory, UserFactory

pytest_plugins = ["emulators.salesforce.pytest_plugin", "emulators.shopify.pytest_plugin"]
FAULTS_NEED = "the fault tests need PostgreSQL (DATABASE_URL=postgres://...) and redis-server; .ci/run runs them"


def _faults_can_run() -> bool:
    import shutil

    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and bool(
        shutil.which("redis-server")
    )


def pytest_collection_modifyitems(config, items):
    """Fault tests are deselected, not skipped, where they cannot run, and the summary says so."""
    faults = [item for item in items if item.get_closest_marker("faults")]
    if not faults or _faults_can_run():
        return
    config.hook.pytest_deselected(items=faults)
    items[:] = [item for item in items if item not in faults]
    config._scsync_faults_left_out = len(faults)


def pytest_terminal_summary(terminalreporter, config):
    left_out = getattr(config, "_scsync_faults_left_out", 0)
    if left_out:
        terminalreporter.write_line(f"{left_out} fault tests deselected: {FAULTS_NEED}")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached counts (the badge, the facets) never carry over from one test's database to the next's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def store(db):
    return StoreFactory()


@pytest.fixture
def org(store):
    return store.org


@pytest.fixture
def store_staff(db, store):
    """A staff user (not a superuser) who manages `store` and may view the website's records."""
    from django.contrib.auth.models import Permission

    user = UserFactory(username="manager")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["storefront", "syncerrors"]))
    store.managers.add(user)
    return user


@pytest.fixture
def sf_org(db, emulated_org, monkeypatch):
    """An org whose client talks to the emulated org over HTTPS (credentials through env vars, as in production)."""
    from connectors.salesforce import forget_clients
    from tests.factories import connected_org

    yield connected_org(monkeypatch, emulated_org, "Emulated", "SF_TEST")
    forget_clients()


@pytest.fixture
def sf_store(sf_org):
    return StoreFactory(org=sf_org)


@pytest.fixture
def media_server():
    """http://127.0.0.1:PORT serving tests.triggers.media_server (a real socket, a thread of this process)."""
    import http.server
    import threading

    from tests.triggers.media_server import MediaServer

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MediaServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
