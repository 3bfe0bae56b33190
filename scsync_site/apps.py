"""The admin app with the console's site (django.contrib.admin's AppConfig, pointing at ConsoleAdminSite)."""

from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    default_site = "scsync_site.admin_site.ConsoleAdminSite"
