"""Who did what in the console: one LogEntry (the admin's history) per object an action changed or asked for.

Every admin action and every service an admin action calls logs through here, so the object's History page and
the admin's "Recent actions" show it. A run without a user (a command, Beat) logs nothing here; its own log says.
"""

from collections.abc import Iterable

from django.contrib.admin.models import CHANGE, LogEntry


def log_change(user, objects: Iterable, message: str) -> int:
    """One CHANGE entry per object, by `user` (nothing without one); returns how many were written."""
    objects = list(objects)
    if user is None or not objects:
        return 0
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=objects, action_flag=CHANGE, change_message=message, single_object=len(objects) == 1
    )
    return len(objects)
