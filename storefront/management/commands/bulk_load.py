"""`python manage.py bulk_load FILE --object Contact [--store S] [--org O] [--scid-column C] [--new-records]
[--dry-run] [--strict | --allow-bad-rows] [--no-send]` and `python manage.py bulk_load --from-salesforce --object
Product2 [--org O]`."""

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter
from tqdm import tqdm

from connectors.models import SalesforceOrg, Store
from storefront.bulk.rows import BulkFileError
from storefront.bulk.service import bulk_load, columns_by_object, load_from_salesforce


class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _bar(label: str, total: int) -> tqdm:
    return tqdm(desc=label, total=total, unit="row", disable=None)


class Command(BaseCommand):
    help = (
        "Load a CSV (header line first) or JSON-lines file of one object with the org's sync triggers off, then "
        "upsert it to Salesforce with Bulk API 2.0. Every row is checked first; bad rows are reported by line number "
        "and the good ones load (unless --strict). Rows are keyed by their id column (--scid-column, default 'scid'), "
        "so loading the same file again updates instead of duplicating; a file without ids is refused unless "
        "--new-records. Exits 1 after the summary when rows were bad or failed in Salesforce (they are sync errors "
        "then), unless --allow-bad-rows."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        columns = "\n".join(f"  {name}: {', '.join(cols)}" for name, cols in columns_by_object().items())
        epilog = (
            "columns each object takes (parents are given by their SCID), besides the id column:\n"
            f"{columns}\n\ne.g. python manage.py bulk_load contacts.csv --object Contact --scid-column legacy_id"
        )
        return super().create_parser(prog_name, subcommand, epilog=epilog, formatter_class=_HelpFormatter, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="CSV (header line first) or .jsonl file")
        parser.add_argument("--object", required=True, help="Salesforce object, e.g. Contact")
        parser.add_argument("--org", help="org name (needed when there are several)")
        parser.add_argument("--store", help="store name, for objects that belong to a store (Order)")
        parser.add_argument(
            "--scid-column", default="scid", help="column holding each row's stable id (e.g. the old system's id)"
        )
        parser.add_argument(
            "--new-records",
            action="store_true",
            help="allow rows without an id: each becomes a new record (loading the file again duplicates them)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
        bad_rows = parser.add_mutually_exclusive_group()
        bad_rows.add_argument("--strict", action="store_true", help="load nothing if any row is bad")
        bad_rows.add_argument(
            "--allow-bad-rows", action="store_true", help="exit 0 even when rows were bad or failed in Salesforce"
        )
        parser.add_argument("--no-send", action="store_true", help="load into the website only")
        parser.add_argument(
            "--from-salesforce", action="store_true", help="first full load from the org (Bulk API 2.0)"
        )

    def handle(self, *args, **options):
        org = self._org(options["org"])
        try:
            if options["from_salesforce"]:
                read, applied = load_from_salesforce(options["object"], org)
                self.stdout.write(
                    f"{read} {options['object']} rows read from {org.name}: created {applied.created}, updated "
                    f"{applied.updated}, unchanged {applied.skipped}, waiting for a parent {applied.waiting}, "
                    f"failed {applied.failed}."
                )
                if applied.failed:
                    raise CommandError(f"{applied.failed} row(s) could not be applied; see Sync errors.")
                return
            if not options["file"]:
                raise CommandError("Give a FILE to load, or --from-salesforce.")
            summary = bulk_load(
                Path(options["file"]),
                options["object"],
                org,
                store=self._store(org, options["store"]),
                scid_column=options["scid_column"],
                dry_run=options["dry_run"],
                strict=options["strict"],
                send=not options["no_send"],
                new_records=options["new_records"],
                progress=_bar,
            )
        except BulkFileError as exc:
            raise CommandError(str(exc)) from exc
        for line, reason in summary.bad_rows:
            self.stderr.write(f"line {line}: {reason}")
        if options["strict"] and summary.bad_rows:
            raise CommandError(f"{len(summary.bad_rows)} bad row(s); nothing was loaded (--strict).")
        self.stdout.write(("Dry run: " if options["dry_run"] else "") + str(summary))
        if (summary.bad_rows or summary.failed) and not options["allow_bad_rows"]:
            raise CommandError(
                f"{len(summary.bad_rows)} bad row(s) (listed above) and {summary.failed} row(s) failed in Salesforce "
                "(see Sync errors); the others were loaded. Pass --allow-bad-rows to exit 0 anyway."
            )

    def _org(self, name):
        orgs = SalesforceOrg.objects.all()
        if name:
            orgs = orgs.filter(name=name)
        if orgs.count() != 1:
            raise CommandError("Name the org with --org." if not name else f"No Salesforce org is named {name!r}.")
        return orgs.get()

    def _store(self, org, name):
        if not name:
            return None
        try:
            return Store.objects.get(org=org, name=name)
        except Store.DoesNotExist:
            raise CommandError(f"The org has no store named {name!r}.") from None
