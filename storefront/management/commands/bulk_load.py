"""`python manage.py bulk_load FILE --object Contact [--store S] [--org O] [--dry-run] [--strict]`
and `python manage.py bulk_load --from-salesforce --object Product2 [--org O]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from connectors.models import SalesforceOrg, Store
from storefront.bulk.rows import BulkFileError
from storefront.bulk.service import bulk_load, load_from_salesforce


class Command(BaseCommand):
    help = "Load a CSV or JSON-lines file with the sync triggers off, then upsert it to Salesforce."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="CSV (header line first) or .jsonl file")
        parser.add_argument("--object", required=True, help="Salesforce object, e.g. Contact")
        parser.add_argument("--org", help="org name (needed when there are several)")
        parser.add_argument("--store", help="store name, for objects that belong to a store (Order)")
        parser.add_argument("--scid-column", default="scid", help="column holding the SCID (a legacy system's id)")
        parser.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
        parser.add_argument("--strict", action="store_true", help="load nothing if any row is bad")
        parser.add_argument("--no-send", action="store_true", help="load into the website only")
        parser.add_argument(
            "--from-salesforce", action="store_true", help="first full load from the org (Bulk API 2.0)"
        )

    def handle(self, *args, **options):
        org = self._org(options["org"])
        try:
            if options["from_salesforce"]:
                applied = load_from_salesforce(options["object"], org)
                self.stdout.write(f"{applied} {options['object']} rows loaded from {org.name}.")
                return
            if not options["file"]:
                raise CommandError("Give a FILE to load, or --from-salesforce.")
            store = self._store(org, options["store"])
            with tqdm(desc="rows", unit="row", disable=None) as progress:
                summary = bulk_load(
                    Path(options["file"]),
                    options["object"],
                    org,
                    store=store,
                    scid_column=options["scid_column"],
                    dry_run=options["dry_run"],
                    strict=options["strict"],
                    send=not options["no_send"],
                    progress=progress,
                )
        except BulkFileError as exc:
            raise CommandError(str(exc)) from exc
        for line, reason in summary.bad_rows:
            self.stderr.write(f"line {line}: {reason}")
        if options["strict"] and summary.bad_rows:
            raise CommandError(f"{len(summary.bad_rows)} bad row(s); nothing was loaded (--strict).")
        self.stdout.write(("Dry run: " if options["dry_run"] else "") + str(summary))

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
