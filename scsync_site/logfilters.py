"""Logging filters: routine chatter at DEBUG, so an idle installation logs nothing at INFO."""

import logging


class DemoteToDebug(logging.Filter):
    """Turns INFO records whose message starts with one of `prefixes` into DEBUG records (dropped unless the
    logger is enabled for DEBUG). For Celery's per-task lines: every 5 s a poll and a sweep are received and
    succeed, and Beat sends them; the tasks themselves log at INFO when they did something."""

    def __init__(self, prefixes=()):
        super().__init__()
        self.prefixes = tuple(prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not str(record.msg).startswith(self.prefixes):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
