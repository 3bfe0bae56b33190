"""What every benchmark needs: an org wired to an in-process emulated org, inside a transaction rolled back
at the end so the configured database keeps nothing."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from django.db import transaction

ENV_PREFIX = "SCSYNC_BENCH"


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def bench_org(emulator):
    """A throwaway SalesforceOrg whose client talks to `emulator` (credentials through env vars, as in production)."""
    from connectors.models import SalesforceOrg
    from connectors.salesforce import forget_clients

    os.environ.update(
        {
            f"{ENV_PREFIX}_INSTANCE_URL": emulator.instance_url,
            f"{ENV_PREFIX}_SESSION_ID": emulator.session_id,
            f"{ENV_PREFIX}_CA_FILE": str(emulator.ca_file),
        }
    )
    forget_clients()
    return SalesforceOrg.objects.create(name=f"bench-{uuid.uuid4().hex[:8]}", credentials_env_prefix=ENV_PREFIX)
