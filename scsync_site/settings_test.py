"""Settings for the test run: the real settings with a development secret, never used to serve."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("SCSYNC_TESTING", "1")

from .settings import *  # noqa: E402,F401,F403
