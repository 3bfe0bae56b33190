"""Summaries that add up: what a dispatch, a poll or an apply did, as counters one can sum with `+`."""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields


@dataclass
class Tally:
    """A dataclass of counters. `a + b` and `a += b` add the fields they share: numbers are summed, lists are
    joined, flags are or-ed, anything else (a time, say) keeps the newer value that is set. A field only `a` has
    stays as it is, so a poll's summary can take in an apply's."""

    def __iadd__(self, other: Tally) -> Tally:
        mine = {f.name for f in fields(self)}
        for name in (f.name for f in fields(other) if f.name in mine):
            current, added = getattr(self, name), getattr(other, name)
            if isinstance(current, bool):
                setattr(self, name, current or added)
            elif isinstance(current, int | float | list):
                setattr(self, name, current + added)
            elif added is not None:
                setattr(self, name, added)
        return self

    def __add__(self, other: Tally) -> Tally:
        total = copy.deepcopy(self)
        total += other
        return total
