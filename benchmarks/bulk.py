"""`bench bulk --records N`: a CSV of N contacts loaded with triggers off, then upserted with Bulk API 2.0.

Runs in a throwaway database (support.isolated): a running installation is neither written nor locked.
"""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path

from .support import bench_org, isolated

SIZES = ("records",)  # options that must be positive


def add_arguments(parser) -> None:
    parser.add_argument("--records", type=int, default=50000, help="contacts in the file")


def run(options, stdout) -> dict:
    from emulators.salesforce import EmulatedOrg

    records = options["records"]
    with EmulatedOrg() as emulator, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["legacy_id", "first_name", "last_name", "email"])
            writer.writerows([f"L-{n}", "Bench", f"Contact {n}", f"b{n}@example.com"] for n in range(records))
        figures: dict = {}
        with isolated():
            figures = _measure(emulator, path)
    stdout.write(f"bulk: {records} contacts")
    stdout.write(f"  check + load: {figures['load_seconds']:.2f} s ({records / figures['load_seconds']:.0f} rows/s)")
    stdout.write(
        f"  Bulk API 2.0 upsert: {figures['upsert_seconds']:.2f} s ({records / figures['upsert_seconds']:.0f} rows/s), "
        f"{figures['failed']} failed"
    )
    return figures


def _measure(emulator, path: Path) -> dict:
    from storefront.bulk import load, upload
    from storefront.bulk.rows import RowChecker, check_file
    from storefront.bulk.service import mapping_for_object

    org = bench_org(emulator)
    mapping = mapping_for_object("Contact")
    started = time.perf_counter()
    checked = check_file(path, RowChecker(mapping, org, "legacy_id"))
    with load.triggers_off(org, reason="bench"):
        records = load.load_rows(org, mapping, checked.rows)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    _, failed = upload.upsert(org, mapping, records)
    return {"load_seconds": load_seconds, "upsert_seconds": time.perf_counter() - started, "failed": failed}
