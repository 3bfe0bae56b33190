"""Set up a local installation for `make run`: an admin user and the demo data, idempotently."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from storefront.demo import ensure_admin_user, load_demo_data


class Command(BaseCommand):
    help = "Create a local admin user (if none) and load the demo data set (once). Development only."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("setup_demo is for local development: set DJANGO_DEBUG=1.")
        username = os.environ.get("SCSYNC_ADMIN_USER", "admin")
        password = os.environ.get("SCSYNC_ADMIN_PASSWORD", "admin")
        if ensure_admin_user(username, password):
            self.stdout.write(self.style.SUCCESS(f"Created the admin user {username!r} with password {password!r}."))
        org = load_demo_data()
        self.stdout.write(f"Demo data ready (org {org.name!r}).")
        self.stdout.write("Open http://127.0.0.1:8000/admin/ and log in as the admin user.")
