"""What the console counts, kept current by whoever writes sync errors: each root's held count (a column, so the
list never groups held rows), and the cached badge and facets (dropped whenever errors change).

One rule, one place: every write of sync errors (recording, re-sync) ends with `errors_changed()`. What is cached
(the badge, the filters' choices, the lists' counts) is keyed by a generation that call moves on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property

from .models import SyncError

GENERATION_KEY = "syncerrors:generation"
# A cached badge or facet list lives this long at most: a store's managers changing shows within it.
CACHE_SECONDS = 60


def errors_changed(root_ids: Iterable[int | None] = ()) -> None:
    """Errors were recorded, resolved or re-queued: recount what `root_ids` hold back, and drop every cached
    count now and again once the transaction commits (so no reader caches what it saw before the commit)."""
    recount_held({pk for pk in root_ids if pk})
    _new_generation()
    transaction.on_commit(_new_generation)


def recount_held(root_ids: set[int]) -> None:
    if not root_ids:
        return
    held = (
        SyncError.objects.unresolved()
        .filter(held_by=OuterRef("pk"))
        .order_by()
        .values("held_by")
        .annotate(n=Count("pk"))
        .values("n")
    )
    SyncError.objects.filter(pk__in=list(root_ids)).update(held_count=Coalesce(Subquery(held), 0))


def _new_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there yet (or evicted): any new value makes every old key unreachable
        cache.set(GENERATION_KEY, 1, timeout=None)


def cached(name: str, user, compute):
    """`compute()` cached per user until errors change (or CACHE_SECONDS pass): superusers share one entry."""
    return _cached(f"{name}:{'all' if user.is_superuser else f'user{user.pk}'}", compute)


def _cached(name: str, compute):
    key = f"syncerrors:{cache.get(GENERATION_KEY) or 0}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=CACHE_SECONDS)
    return value


class CachedCountPaginator(Paginator):
    """A paginator whose count of a list of errors is cached until errors change: a page of 50 reads 50 rows through
    the list's index, and its "N errors" no longer counts every error the user may see on every request. The key is
    the query itself (its SQL names the user's stores), so each filter and each user has their own count."""

    @cached_property
    def count(self) -> int:
        sql, params = self.object_list.query.sql_with_params()
        digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
        return _cached(f"count:{digest}", self.object_list.count)


def badge_counts(user) -> dict:
    """{"problems": unresolved root errors, "held": unresolved changes held behind them}, as `user` sees them."""

    return cached("badge", user, lambda: SyncError.objects.visible_to(user).unresolved().problem_counts())


def facet_values(user, field: str) -> list[str]:
    """The distinct values of one column among the errors `user` may see (a filter's choices), cached."""

    def compute():
        rows = SyncError.objects.visible_to(user).order_by(field)
        return list(rows.values_list(field, flat=True).distinct())

    return cached(f"facet:{field}", user, compute)
