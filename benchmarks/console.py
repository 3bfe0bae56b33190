"""`bench console`: the console's pages at 100 sync errors and at --errors of them (list, filters, badge, dashboard):
server time (the test client, in this process) and query counts, for a superuser and for a store's staff."""

from __future__ import annotations

import statistics
import time

SIZES = ("errors", "repeat")
SMALL = 100
CODES = ["FIELD_CUSTOM_VALIDATION_EXCEPTION", "REQUIRED_FIELD_MISSING", "DUPLICATES_DETECTED", "INVALID_FIELD"]
OBJECTS = ["Contact", "Account", "Order", "Product2", "OrderItem"]


def add_arguments(parser) -> None:
    parser.add_argument("--errors", type=int, default=100_000, help="sync errors in the big run (a fifth held)")
    parser.add_argument("--repeat", type=int, default=5, help="requests per figure (the median is printed)")


def run(options, stdout) -> dict:
    from benchmarks.support import isolated

    with isolated():
        world = _world()
        small = _measure(world, SMALL, options["repeat"])
        big = _measure(world, options["errors"], options["repeat"])
    for who, (hit, miss) in big["badge_count"].items():
        stdout.write(f"console badge count {who:<9}: cached {hit:.3f} ms, after a change of errors {miss:.1f} ms")
    for name in ("list", "filter", "badge", "dashboard"):
        for who in ("superuser", "staff"):
            (s_ms, s_q), (b_ms, b_q) = small[name][who], big[name][who]
            stdout.write(
                f"console {name:<9} {who:<9}: {SMALL:>7} errors {s_ms:7.1f} ms {s_q:>3} queries | "
                f"{options['errors']:>7} errors {b_ms:7.1f} ms {b_q:>3} queries | x{b_ms / s_ms:.2f}"
            )
    return {"small": small, "big": big}


def _world() -> dict:
    from django.contrib.auth.models import Permission, User
    from django.test import Client

    from connectors.models import SalesforceOrg, Store

    orgs = [SalesforceOrg.objects.create(name=f"Bench org {n}", credentials_env_prefix="SF_BENCH") for n in range(3)]
    stores = [Store.objects.create(org=o, name=f"Store {n}", domain=f"s{n}.example.com") for n, o in enumerate(orgs)]
    admin = User.objects.create_superuser("bench-admin", "", "x")
    staff = User.objects.create_user("bench-staff", "", "x", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["syncerrors", "storefront"]))
    stores[0].managers.add(staff)
    clients = {}
    for who, user in (("superuser", admin), ("staff", staff)):
        clients[who] = Client(HTTP_HOST="127.0.0.1")
        clients[who].force_login(user)
    return {"orgs": orgs, "stores": stores, "clients": clients, "made": 0}


def _fill(world, total: int) -> None:
    """Sync errors up to `total`: four roots for every held error, over three orgs, five objects and four codes."""
    from django.db import connection

    from syncerrors.counts import errors_changed
    from syncerrors.models import SyncError

    batch, roots = [], []
    for n in range(world["made"], total):
        store = world["stores"][n % 3]
        batch.append(
            SyncError(
                org_id=store.org_id,
                store=store if n % 4 else None,
                sobject=OBJECTS[n % 5],
                event_type="update",
                scid=f"SC{n:08d}",
                salesforce_id=f"003{n:015d}",
                status_code=CODES[n % 4],
                message=f"Bench error {n}: " + "a long Salesforce message " * 4,
            )
        )
        if len(batch) == 5000 or n == total - 1:
            SyncError.objects.bulk_create(batch)
            roots += [e for e in batch if e.pk % 5]
            held = [e for e in batch if not e.pk % 5]
            for e in held:
                e.held_by = roots[(e.pk // 5) % len(roots)]
            SyncError.objects.bulk_update(held, ["held_by"], batch_size=2000)
            errors_changed({e.held_by_id for e in held})
            batch = []
    world["made"] = total
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE syncerrors_syncerror")


def _measure(world, total: int, repeat: int) -> dict:
    from django.core.cache import cache

    from syncerrors.counts import errors_changed

    _fill(world, total)
    pages = {
        "list": ("/admin/syncerrors/syncerror/", {}),
        "filter": ("/admin/syncerrors/syncerror/", {"status_code": CODES[1], "sobject": "Account"}),
        "badge": ("/admin/password_change/", {}),  # a page that shows the badge and counts nothing else
        "dashboard": ("/admin/", {}),
    }
    figures: dict = {}
    for name, (url, params) in pages.items():
        figures[name] = {}
        for who, client in world["clients"].items():
            cache.clear()
            errors_changed()
            client.get(url, params)  # warm: the cached counts are filled once per change of errors
            figures[name][who] = _timed(client, url, params, repeat)
    figures["badge_count"] = {who: _badge_ms(client.session) for who, client in world["clients"].items()}
    return figures


def _badge_ms(session) -> tuple[float, float]:
    """The badge's own cost: its count read from the cache, and counted again after errors changed."""
    from django.contrib.auth import get_user_model

    from syncerrors.counts import badge_counts, errors_changed

    user = get_user_model().objects.get(pk=session["_auth_user_id"])
    errors_changed()
    started = time.perf_counter()
    badge_counts(user)
    miss = (time.perf_counter() - started) * 1000
    hits = []
    for _ in range(50):
        started = time.perf_counter()
        badge_counts(user)
        hits.append((time.perf_counter() - started) * 1000)
    return statistics.median(hits), miss


def _timed(client, url, params, repeat) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, count = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params)
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        count = len(captured)
    return statistics.median(times), count
