"""`python manage.py resync (--all | --status-code C | --error-ids 1,2 | --org NAME)`: re-queue unresolved errors."""

from django.core.management.base import BaseCommand, CommandError

from syncerrors.models import SyncError
from syncerrors.resync import resync_errors


def _ids(text: str) -> list[int]:
    try:
        return [int(i) for i in text.split(",") if i.strip()]
    except ValueError:
        raise CommandError(f"--error-ids must be comma-separated numbers, got {text!r}.") from None


class Command(BaseCommand):
    help = (
        "Re-sync unresolved sync errors (and the errors they hold back). Choose them with --status-code, "
        "--error-ids or --org (combined, an error must match all), or take every unresolved error with --all."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every unresolved error")
        parser.add_argument("--status-code", help="only errors with this status code, e.g. DUPLICATES_DETECTED")
        parser.add_argument("--error-ids", help="comma-separated error ids")
        parser.add_argument("--org", help="only errors of this org (by name)")

    def handle(self, *args, **options):
        chosen = {name: options[name] for name in ("status_code", "error_ids", "org") if options[name]}
        if not chosen and not options["all"]:
            raise CommandError(
                "Choose errors with --status-code, --error-ids or --org, or re-sync them all with --all."
            )
        errors = SyncError.objects.unresolved()
        if options["status_code"]:
            errors = errors.filter(status_code=options["status_code"])
        if options["org"]:
            errors = errors.filter(org__name=options["org"])
        wanted_ids = _ids(options["error_ids"]) if options["error_ids"] else []
        if wanted_ids:
            errors = errors.filter(pk__in=wanted_ids)
        errors = list(errors)
        if not errors:
            described = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in chosen.items()) or "--all"
            raise CommandError(f"No unresolved sync error matches {described}; nothing was re-synced.")
        result = resync_errors(errors)
        self.stdout.write(f"{result.requeued_count} error(s) re-queued.")
        for error in result.still_held:
            self.stdout.write(
                f"error {error.pk} is still held by error {error.held_by_id} ({error.held_by.status_code})"
            )
        missing = sorted(set(wanted_ids) - {e.pk for e in errors})
        if missing:
            raise CommandError(
                f"No unresolved sync error has id {', '.join(map(str, missing))}; the others were re-queued."
            )
