"""Records changed: one announcement of the rows a write created, updated and deleted, whoever wrote them.

Website saves and deletes (changeevents.recording), bulk loads (storefront.bulk) and downstream applies
(changeevents.downstream_apply) each announce what they wrote, once, inside the transaction that wrote it and
outside recording suppression, so whatever a side effect writes (a stock level) is recorded and goes upstream.
The side effects subscribe in storefront (composite keys, stock, media imports) and honour the org's switch;
the engine never imports them (imports point one way).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.dispatch import Signal

from .triggers import triggers_enabled

# sender=model class, changes=RecordChanges
records_changed = Signal()


@dataclass
class RecordChanges:
    model: type
    org_id: int
    created: list[int] = field(default_factory=list)
    updated: dict[int, set[str]] = field(default_factory=dict)  # pk -> attribute names the write changed
    deleted: list[int] = field(default_factory=list)
    triggers_on: bool | None = None  # the org's switch as the writer read it; None: read on first use

    def triggers_enabled(self) -> bool:
        """Whether the org's sync triggers are on, read once per announcement (a save has already read it)."""
        if self.triggers_on is None:
            self.triggers_on = triggers_enabled(self.org_id)
        return self.triggers_on

    def __bool__(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def touching(self, names: Iterable[str]) -> list[int]:
        """Created records, and updated ones where any of `names` changed."""
        names = set(names)
        return [*self.created, *(pk for pk, changed in self.updated.items() if changed & names)]


def announce(changes: RecordChanges) -> None:
    """Tell the subscribers what a write did (nothing when it did nothing)."""
    if changes:
        records_changed.send(sender=changes.model, changes=changes)
