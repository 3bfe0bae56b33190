"""Summaries add up: one counter type for dispatches, polls and applies."""

from datetime import UTC, datetime

from changeevents.downstream import PollSummary
from changeevents.downstream_apply import ApplySummary
from changeevents.outcomes import DispatchSummary


def test_summaries_dispatch_summaries_add_counts_and_keep_the_newer_pause():
    paused = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    first = DispatchSummary(claimed=3, synced=2, failed=1, api_calls=1)
    second = DispatchSummary(claimed=5, synced=5, api_calls=2, paused_until=paused)

    total = first + second

    assert (total.claimed, total.synced, total.failed, total.api_calls) == (8, 7, 1, 3)
    assert total.paused_until == paused
    assert (first.claimed, second.claimed) == (3, 5)  # + leaves both operands as they were


def test_summaries_a_poll_takes_in_each_apply():
    poll = PollSummary(objects=["Account"], rows=4, api_calls=1)

    poll += ApplySummary(created=2, updated=1, skipped=1)
    poll += ApplySummary(deleted=1, waiting=2, failed=1)

    assert (poll.created, poll.updated, poll.deleted, poll.skipped, poll.waiting, poll.failed) == (2, 1, 1, 1, 2, 1)
    assert poll.objects == ["Account"] and poll.rows == 4
