"""SCSync settings, read from the environment with django-environ (see the README's settings table)."""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
# Local development settings (make run writes .env once); the process environment wins over the file.
ENV_FILE = Path(env.str("SCSYNC_ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.exists():
    environ.Env.read_env(ENV_FILE, overwrite=False)
VAR_DIR = Path(env.str("SCSYNC_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
TESTING = env.bool("SCSYNC_TESTING", default=False)


def _secret_key() -> str:
    """The secret key: required unless DJANGO_DEBUG is on, where a development default is allowed."""
    key = env.str("DJANGO_SECRET_KEY", default="")
    if key:
        return key
    if DEBUG:
        return "django-insecure-development-only-key-never-use-in-production"
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set: set it to a long random value (it has no default unless DJANGO_DEBUG=1; "
        "for local development, `make run` writes a .env with DJANGO_DEBUG=1)."
    )


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "scsync_site.apps.ConsoleAdminConfig",  # django.contrib.admin with the tenancy rule on every page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "django_filters",
    "health_check",  # /health/ (its page template)
    "connectors",
    "storefront",
    "changeevents",
    "syncerrors",
]
if DEBUG:
    INSTALLED_APPS.append("benchmarks")  # development tooling: the `bench` command; never in production

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "scsync_site.urls"
WSGI_APPLICATION = "scsync_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict:
    """DATABASE_URL parsed by django-environ; a malformed value stops start-up naming the variable."""
    default_url = f"sqlite:///{VAR_DIR / 'scsync.sqlite3'}"
    url = env.str("DATABASE_URL", default=default_url)
    scheme = urlsplit(url).scheme
    if scheme not in environ.Env.DB_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL is malformed: scheme {scheme!r} is not a known database "
            "(expected e.g. postgres://user@host:5432/name or sqlite:////path/to/file.sqlite3)."
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL is malformed: it names no database.")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # Several processes (web, worker, beat) share the file: wait for locks instead of failing at once.
        config.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    else:
        config.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
        config.setdefault("CONN_HEALTH_CHECKS", True)
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Product media imported by the sync triggers is served from here (a CDN in production).
CDN_BASE_URL = env.str("CDN_BASE_URL", default="http://127.0.0.1:8000/media/")

# Media imports (sync triggers): limits on what a product's media URL may point at.
SCSYNC_MEDIA_MAX_BYTES = env.int("SCSYNC_MEDIA_MAX_BYTES", default=10 * 1024 * 1024)
# An import still pending this long is queued again (its message was lost or its worker died), at most this often.
SCSYNC_MEDIA_SWEEP_AFTER_SECONDS = env.int("SCSYNC_MEDIA_SWEEP_AFTER_SECONDS", default=60)
SCSYNC_MEDIA_MAX_ATTEMPTS = env.int("SCSYNC_MEDIA_MAX_ATTEMPTS", default=5)
SCSYNC_MEDIA_CONTENT_TYPES = env.list(
    "SCSYNC_MEDIA_CONTENT_TYPES", default=["image/jpeg", "image/png", "image/webp", "image/gif"]
)

LOGIN_URL = "admin:login"

# The console's cached counts (the error badge, the list's facets) live here, dropped whenever errors change: the
# worker that records an error and the web process that shows the badge must share it. A directory under var/ on
# one machine; several machines share Redis (CACHE_URL=redis://127.0.0.1:6379/1).
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

# --- Celery -----------------------------------------------------------------------------------------------
_BROKER_DIR = VAR_DIR / "celery-broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in ("out", "processed", "control"):
        (_BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "out"),
        "data_folder_out": str(_BROKER_DIR / "out"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
        # the default 1 s sleep between empty polls makes a Ctrl-C (warm shutdown) take several seconds
        "polling_interval": 0.1,
    }
else:
    # Above the longest countdown we use, so Redis never redelivers a delayed retry early.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# One queue per kind of work, so a flood of one kind never holds back another. A worker started without -Q
# consumes every queue here (make run's does); scaling out runs workers per queue (README, Scaling out).
CELERY_TASK_DEFAULT_QUEUE = "default"
# (each with its own exchange and routing key: a bare Queue(name) would be bound to the default exchange's key,
# and a direct exchange copies a message to every queue bound to the same key)
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name) for name in ("default", "upstream", "downstream", "media", "catalog")
]
CELERY_TASK_ROUTES = {
    "changeevents.tasks.dispatch_upstream_task": {"queue": "upstream"},
    "changeevents.tasks.sweep_upstream_task": {"queue": "upstream"},
    "changeevents.tasks.poll_downstream_task": {"queue": "downstream"},
    "changeevents.tasks.reconcile_downstream_task": {"queue": "downstream"},
    "storefront.tasks.*": {"queue": "media"},
    "connectors.catalog.tasks.*": {"queue": "catalog"},
}

# --- Sync engine ------------------------------------------------------------------------------------------
# Where `make run` finds the emulated org's connection (instance URL, session id, CA file).
SALESFORCE_EMULATOR_CONNECTION_FILE = Path(
    env.str("SALESFORCE_EMULATOR_CONNECTION_FILE", default=str(VAR_DIR / "emulator" / "connection.json"))
)
SCSYNC_SWEEP_INTERVAL_SECONDS = env.int("SCSYNC_SWEEP_INTERVAL_SECONDS", default=5)
# Leases of org locks and event claims: the running dispatcher or poller renews them between batches and pages,
# so a killed worker's org is free again within one lease.
SCSYNC_LEASE_SECONDS = env.int("SCSYNC_LEASE_SECONDS", default=30)
# Fairness: the events one upstream task sends for an org before it queues the org again behind the others.
SCSYNC_DISPATCH_SHARE = env.int("SCSYNC_DISPATCH_SHARE", default=500)
# After a failed publish, saves leave wake-ups to the sweep for this long before trying the broker again.
SCSYNC_BROKER_RETRY_SECONDS = env.float("SCSYNC_BROKER_RETRY_SECONDS", default=5.0)
SCSYNC_MAX_ATTEMPTS = env.int("SCSYNC_MAX_ATTEMPTS", default=6)
SCSYNC_RETRY_BASE_SECONDS = env.float("SCSYNC_RETRY_BASE_SECONDS", default=2.0)
SCSYNC_RETRY_MAX_SECONDS = env.float("SCSYNC_RETRY_MAX_SECONDS", default=300.0)
SCSYNC_LIMIT_PAUSE_SECONDS = env.int("SCSYNC_LIMIT_PAUSE_SECONDS", default=300)
# A poll re-reads this window before its cursor until the window has closed (a row committed a moment late).
SCSYNC_DOWNSTREAM_OVERLAP_SECONDS = env.int("SCSYNC_DOWNSTREAM_OVERLAP_SECONDS", default=2)
SCSYNC_BULK_QUERY_THRESHOLD = env.int("SCSYNC_BULK_QUERY_THRESHOLD", default=10000)
# The reconciliation (Beat, per org) re-reads this window of every object and applies what the polls missed.
SCSYNC_RECONCILE_INTERVAL_SECONDS = env.int("SCSYNC_RECONCILE_INTERVAL_SECONDS", default=3600)
SCSYNC_RECONCILE_WINDOW_SECONDS = env.int("SCSYNC_RECONCILE_WINDOW_SECONDS", default=7200)
# Change Data Capture (orgs with "Use Change Data Capture" on, `manage.py listen_changes`): while an org's
# subscription is healthy, its polling reads every SCSYNC_CDC_POLL_INTERVAL_SECONDS as a safety net; a subscription
# not heard from for SCSYNC_CDC_STALE_SECONDS is down, and the org's poll_interval_seconds polling resumes.
SCSYNC_CDC_POLL_INTERVAL_SECONDS = env.int("SCSYNC_CDC_POLL_INTERVAL_SECONDS", default=60)
SCSYNC_CDC_STALE_SECONDS = env.int("SCSYNC_CDC_STALE_SECONDS", default=6)
# Worker and Beat processes write a heartbeat row this often; a kind not heard from for the stale time shows red on
# the dashboard and fails /health/.
SCSYNC_HEARTBEAT_SECONDS = env.float("SCSYNC_HEARTBEAT_SECONDS", default=10)
SCSYNC_HEARTBEAT_STALE_SECONDS = env.float("SCSYNC_HEARTBEAT_STALE_SECONDS", default=60)
# Alerts of new sync errors (an org's alert addresses): Django's mail backend from EMAIL_URL (make run's .env uses
# the console backend, which prints them); links in them start with SCSYNC_CONSOLE_URL.
vars().update(env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="scsync@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
SCSYNC_CONSOLE_URL = env.str("SCSYNC_CONSOLE_URL", default="http://127.0.0.1:8000")
# /metrics answers only `Authorization: Bearer <this>`; empty: /metrics is off (404).
SCSYNC_METRICS_TOKEN = env.str("SCSYNC_METRICS_TOKEN", default="")
# Retention: synced events go this long after they were processed; events that had a sync error (resolved or not)
# are kept for the longer error retention; pruning deletes in batches and never deletes a sync error.
SCSYNC_EVENT_RETENTION_DAYS = env.int("SCSYNC_EVENT_RETENTION_DAYS", default=30)
SCSYNC_ERROR_EVENT_RETENTION_DAYS = env.int("SCSYNC_ERROR_EVENT_RETENTION_DAYS", default=180)
SCSYNC_PRUNE_BATCH = env.int("SCSYNC_PRUNE_BATCH", default=5000)

# --- Where data may come from and go to (development only when on; make run's .env turns them on) ----------
# Loopback hosts for a catalog connector's shop URL and for media imports (the emulated shop, local files).
SCSYNC_ALLOW_LOOPBACK = env.bool("SCSYNC_ALLOW_LOOPBACK", default=False)
# file: and data: media URLs (a file: URL reads this machine's files).
SCSYNC_MEDIA_ALLOW_LOCAL_URLS = env.bool("SCSYNC_MEDIA_ALLOW_LOCAL_URLS", default=False)

# --- Security (production) ------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
X_FRAME_OPTIONS = "DENY"

# One logging configuration for web, commands, worker and Beat (Celery keeps its hands off: scsync_site/celery.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        # Celery's "received", "succeeded" and "Sending due task" lines, every few seconds for every org
        "routine_tasks": {
            "()": "scsync_site.logfilters.DemoteToDebug",
            "prefixes": ["Task %(name)s[%(id)s] received", "Task %(name)s[%(id)s] succeeded", "Scheduler: Sending due"],
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery.app.trace": {"filters": ["routine_tasks"]},
        "celery.worker.strategy": {"filters": ["routine_tasks"]},
        "celery.beat": {"filters": ["routine_tasks"]},
    },
}
