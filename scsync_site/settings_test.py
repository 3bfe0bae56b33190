"""Settings for the test run: the real settings with a development secret, never used to serve."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("SCSYNC_TESTING", "1")
os.environ.setdefault("SCSYNC_ALLOW_LOOPBACK", "1")  # the emulated shop; the policy tests turn it off

from .settings import *  # noqa: E402,F401,F403

# On SQLite, test in a file like production (in-memory shared cache has table locks without a busy
# timeout, so concurrent dispatchers would fail instead of waiting).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-scsync.sqlite3")}  # noqa: F405

# Each test process counts in its own memory (tests/conftest.py empties it before every test) unless CACHE_URL
# names a shared cache.
if "CACHE_URL" not in os.environ:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
