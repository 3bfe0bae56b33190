"""Models of the sync engine, one module per concern."""

from .cursors import SyncCursor  # noqa: F401
from .events import ChangeEvent, DeliveryAttempt, UnsentChange  # noqa: F401
from .health import ProcessHeartbeat, RunDuration  # noqa: F401
from .streams import ChangeStream  # noqa: F401
