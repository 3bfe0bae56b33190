"""Salesforce timestamps: kept as UTC milliseconds, written like 2013-05-07T22:07:19.000+0000."""

import datetime
import re

_UTC = datetime.UTC


def to_ms(value: datetime.datetime) -> int:
    return int(value.timestamp() * 1000)


def format_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=_UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def parse_datetime_literal(text: str) -> int:
    """2024-01-01T00:00:00Z, ...+00:00, ...+0000 with optional .SSS -> UTC milliseconds."""
    normalised = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text.replace("Z", "+00:00"))
    moment = datetime.datetime.fromisoformat(normalised)
    if moment.tzinfo is None:
        raise ValueError(f"datetime without a time zone: {text}")
    return to_ms(moment)


def parse_date_literal(text: str) -> str:
    datetime.date.fromisoformat(text)
    return text
