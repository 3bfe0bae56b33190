"""CSV export of the console's filtered errors."""

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


class _Echo:
    def write(self, value):
        return value


def errors_csv_response(errors: Iterable, filename: str = "sync-errors.csv") -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow([title for title, _ in COLUMNS])
        for error in errors:
            yield writer.writerow(["" if getattr(error, f) is None else str(getattr(error, f)) for _, f in COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
