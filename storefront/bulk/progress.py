"""Progress reporting for bulk loads: a factory `progress(label, total)` gives a context manager with update(n).

The command passes tqdm; the service and tests use `silent`.
"""

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol


class Bar(Protocol):
    def update(self, n: int = 1) -> object: ...


ProgressFactory = Callable[[str, int], contextlib.AbstractContextManager[Bar]]


class _Silent:
    def update(self, n: int = 1) -> None:
        pass


@contextlib.contextmanager
def silent(label: str, total: int) -> Iterator[Bar]:
    yield _Silent()
