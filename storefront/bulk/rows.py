"""Reading a bulk-load file and checking every row before anything is written."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import models

from changeevents.registry import SyncMapping

from .progress import ProgressFactory, silent

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class BulkFileError(ValueError):
    """The file as a whole cannot be loaded (the message says why)."""


@dataclass
class Row:
    line: int
    values: dict
    scid: str = ""


@dataclass
class CheckedFile:
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    read: int = 0


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, row) for CSV (header on line 1) or JSON lines (.jsonl / .ndjson)."""
    if not path.exists():
        raise BulkFileError(f"{path} does not exist")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield number, {"__error__": f"not valid JSON: {exc.msg}"}
                    continue
                yield number, value if isinstance(value, dict) else {"__error__": "a line must be a JSON object"}
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise BulkFileError(f"{path} has no header line")
        for row in reader:
            if None in row:
                yield reader.line_num, {"__error__": f"{len(row[None])} value(s) more than the header has columns"}
                continue
            yield reader.line_num, row


def columns_for(mapping: SyncMapping) -> list[str]:
    """The columns a file of this object may have: the synced fields, then parents (by SCID)."""
    return [*mapping.read_fields, *(link.field for link in mapping.parents)]


class RowChecker:
    """Checks rows against the model: known columns, required values, types, choices, lookups by SCID."""

    def __init__(self, mapping: SyncMapping, org, scid_column: str, new_records: bool = False):
        self.mapping, self.org, self.model, self.scid_column = mapping, org, mapping.model, scid_column
        self.new_records = new_records
        self.fields = {name: self.model._meta.get_field(name) for name in mapping.read_fields}
        self.parents = {link.field: self.model._meta.get_field(link.field) for link in mapping.parents}
        self.allowed = set(columns_for(mapping)) | {scid_column, "scid"}
        self.parent_scids: dict[str, dict[str, int]] = {}
        self.seen_scids: set[str] = set()

    def check_columns(self, columns) -> None:
        unknown = sorted(set(columns) - self.allowed)
        if unknown:
            raise BulkFileError(
                f"unknown column(s) {', '.join(unknown)} for {self.mapping.sobject}; "
                f"known columns: {', '.join(sorted(self.allowed))}"
            )
        if not self.new_records and not {self.scid_column, "scid"} & set(columns):
            raise BulkFileError(
                f"the file has no {self.scid_column!r} column, so every row would be a new record and loading the "
                "file again would create them all again, here and in Salesforce: add a column with a stable id per "
                "row (the old system's id) and name it with --scid-column, or pass --new-records to create them"
            )

    def load_parents(self, rows: list[tuple[int, dict]]) -> None:
        for name, fk in self.parents.items():
            wanted = {r.get(name) for _, r in rows if r.get(name)}
            found = fk.related_model._default_manager.filter(org=self.org, scid__in=wanted).values_list("scid", "pk")
            self.parent_scids[name] = dict(found)

    def check(self, line: int, raw: dict) -> Row:
        """A loadable row, or ValueError naming the first thing wrong with it."""
        if "__error__" in raw:
            raise ValueError(raw["__error__"])
        values = {}
        for name, model_field in self.fields.items():
            values[name] = self._value(model_field, raw.get(name))
        for name, fk in self.parents.items():
            parent_scid = (raw.get(name) or "").strip()
            if not parent_scid:
                if not fk.null:
                    raise ValueError(f"{name} is required (the SCID of its {fk.related_model.__name__})")
                values[fk.attname] = None
                continue
            if parent_scid not in self.parent_scids[name]:
                raise ValueError(f"{name} {parent_scid} is not on the website")
            values[fk.attname] = self.parent_scids[name][parent_scid]
        scid = str(raw.get(self.scid_column) or raw.get("scid") or "").strip()
        if not scid and not self.new_records:
            raise ValueError(
                f"{self.scid_column} is empty: the row would be a new record each time the file is loaded "
                "(give it an id, or pass --new-records)"
            )
        try:
            self.model(**values).clean()  # rules across fields (a campaign member is a contact or a lead)
        except ValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from None
        if scid:
            if scid in self.seen_scids:
                raise ValueError(f"SCID {scid} appears twice in the file")
            self.seen_scids.add(scid)
        return Row(line, values, scid)

    def _value(self, model_field: models.Field, value):
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if model_field.has_default():
                return model_field.get_default()
            if isinstance(model_field, models.CharField | models.TextField) and model_field.blank:
                return ""
            raise ValueError(f"{model_field.name} is required")
        if isinstance(model_field, models.BooleanField) and isinstance(value, str):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(f"{model_field.name}: {value!r} is not true or false")
            value = value.lower() in ("true", "1", "yes")
        try:
            cleaned = model_field.clean(value, None)
        except ValidationError as exc:
            raise ValueError(f"{model_field.name}: {' '.join(exc.messages)} (got {value!r})") from None
        if model_field.name == "email" and cleaned and not EMAIL.match(cleaned):
            raise ValueError(f"email: {cleaned!r} is not an email address")
        return cleaned


def check_file(path: Path, checker: RowChecker, progress: ProgressFactory = silent) -> CheckedFile:
    """Every row of the file checked (each counted once on the progress bar); raises BulkFileError when the file
    as a whole cannot be loaded."""
    raw_rows = list(read_rows(path))
    checked = CheckedFile(read=len(raw_rows))
    columns = {key for _, raw in raw_rows for key in raw if key != "__error__"}
    checker.check_columns(columns)
    checker.load_parents(raw_rows)
    with progress("check", len(raw_rows)) as bar:
        for line, raw in raw_rows:
            try:
                checked.rows.append(checker.check(line, raw))
            except ValueError as exc:
                checked.errors.append((line, str(exc)))
            bar.update(1)
    return checked
