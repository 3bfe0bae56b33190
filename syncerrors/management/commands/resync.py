"""`python manage.py resync [--status-code C] [--error-ids 1,2] [--org NAME]`: re-queue unresolved errors."""

from django.core.management.base import BaseCommand, CommandError

from syncerrors.models import SyncError
from syncerrors.resync import resync_errors


class Command(BaseCommand):
    help = "Re-sync unresolved sync errors (and the errors they hold back)."

    def add_arguments(self, parser):
        parser.add_argument("--status-code", help="only errors with this status code")
        parser.add_argument("--error-ids", help="comma-separated error ids")
        parser.add_argument("--org", help="only errors of this org (by name)")

    def handle(self, *args, **options):
        errors = SyncError.objects.unresolved()
        if options["status_code"]:
            errors = errors.filter(status_code=options["status_code"])
        if options["org"]:
            errors = errors.filter(org__name=options["org"])
        if options["error_ids"]:
            try:
                ids = [int(i) for i in options["error_ids"].split(",") if i.strip()]
            except ValueError as exc:
                raise CommandError(f"--error-ids must be comma-separated numbers: {exc}") from exc
            errors = errors.filter(pk__in=ids)
        result = resync_errors(list(errors))
        self.stdout.write(f"{result.requeued_count} error(s) re-queued.")
        for error in result.still_held:
            self.stdout.write(
                f"error {error.pk} is still held by error {error.held_by_id} ({error.held_by.status_code})"
            )
