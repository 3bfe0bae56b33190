"""What every benchmark needs: its own throwaway database, a transaction rolled back at the end (so nothing it
does wakes a worker), and an org wired to an in-process emulated org."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.db import connections, transaction

ENV_PREFIX = "SF_SCSYNC_BENCH"


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """Run the block in a database of its own, made and dropped like the test runner's (test_<name> on
    PostgreSQL, var/bench.sqlite3 on SQLite), inside a transaction that is rolled back: a running installation
    is neither written nor locked, and no task is queued (on_commit never fires)."""
    connection = connections["default"]
    if connection.vendor == "sqlite":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(settings.VAR_DIR / "bench.sqlite3")
    live_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass
    finally:
        connection.creation.destroy_test_db(live_name, verbosity=0)


def bench_org(emulator):
    """A throwaway SalesforceOrg whose client talks to `emulator` (credentials through env vars, as in production)."""
    from connectors.models import SalesforceOrg
    from connectors.salesforce import forget_clients

    os.environ.update(
        {
            f"{ENV_PREFIX}_INSTANCE_URL": emulator.instance_url,
            f"{ENV_PREFIX}_SESSION_ID": emulator.session_id,
            f"{ENV_PREFIX}_CA_FILE": str(emulator.ca_file),
            f"{ENV_PREFIX}_PUBSUB_ENDPOINT": emulator.pubsub_url,
        }
    )
    forget_clients()
    return SalesforceOrg.objects.create(name=f"bench-{uuid.uuid4().hex[:8]}", credentials_env_prefix=ENV_PREFIX)
