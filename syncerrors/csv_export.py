"""CSV export of the console's filtered errors.

Every cell that a spreadsheet would read as a formula (it starts with =, +, -, @, a tab or a carriage return) gets a
leading apostrophe: a Salesforce error message, a SCID or a payload value is text, never a formula (OWASP's
"CSV injection" advice).
"""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

COLUMNS = [
    ("Object", "sobject"),
    ("Event Type", "event_type"),
    ("Processed At", "created_at"),
    ("Salesforce ID", "salesforce_id"),
    ("StoreConnect ID", "scid"),
    ("Status Code", "status_code"),
    ("Message", "message"),
    ("Store", "store"),
    ("Resolved At", "resolved_at"),
]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """The text of one cell, neutralised when a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def errors_csv_response(errors: Iterable, filename: str = "sync-errors.csv") -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow([title for title, _ in COLUMNS])
        for error in errors:
            yield writer.writerow([cell(getattr(error, f)) for _, f in COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
