#!/usr/bin/env python
"""Django's command-line utility for SCSync."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scsync_site.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load the settings now, so a bad one is one line, not a traceback
    except ImproperlyConfigured as exc:
        sys.exit(f"manage.py: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
