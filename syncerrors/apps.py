"""The sync-errors console: what failed, why, and how to fix and re-sync it."""

from django.apps import AppConfig


class SyncErrorsConfig(AppConfig):
    name = "syncerrors"
    verbose_name = "Sync errors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from changeevents.failures import (
            register_failure_recorder,
            register_problem_recorder,
            register_settled_handler,
        )

        from .recording import record_problem, record_sync_errors, resolve_problems, resolve_settled

        register_failure_recorder(record_sync_errors)
        register_settled_handler(resolve_settled)
        register_problem_recorder(record_problem, resolve_problems)
