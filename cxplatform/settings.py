"""Settings read from environment variables, with safe demo defaults.

Demo/development: SQLite and eager Celery tasks, nothing else to run.
Tests/CI: DATABASE_URL points at PostgreSQL (see Makefile / scripts/test.sh).
Production: DEBUG=False requires SECRET_KEY, DATABASE_URL and CELERY_BROKER_URL.
"""

from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=True)
_DEMO_SECRET = "demo-insecure-secret-key-change-me"  # noqa: S105 (only ever used with DEBUG on)
SECRET_KEY = env.str("SECRET_KEY", default=_DEMO_SECRET if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEMO_SECRET):
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "csp",
    "core",
    "accounts",
    "customers",
    "imports",
    "journeys",
    "surveys",
    "kpis",
    "value",
    "actions",
    "voice",
    "program",
    "reports",
    "audit",
    "privacy",
    "outbox",
    "webhooks",
    "bench",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",  # the signed-in user's saved language (else the browser's)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.SessionIdleTimeoutMiddleware",
    "accounts.middleware.CurrentOrganizationMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "audit.middleware.AuditMiddleware",
    "cxplatform.middleware.NoStoreDownloadsMiddleware",
]

ROOT_URLCONF = "cxplatform.urls"
WSGI_APPLICATION = "cxplatform.wsgi.application"

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
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "cxplatform.context_processors.platform",
            ],
            # `num`: the one number filter of every template (rounded half away from zero, localised).
            "builtins": ["core.templatetags.cx_numbers"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The covering indexes (INCLUDE columns) are a PostgreSQL optimisation; the SQLite demo builds them as plain indexes.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if "redis" in CACHES["default"]["BACKEND"].lower():
    # A Redis outage must cost a request milliseconds, not the default minutes-long socket wait: the rate limits
    # fail open (core.ratelimit) and intake goes on.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {
            "socket_connect_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
            "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
        }
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
# Brute-force limits (accounts.throttle): failed sign-ins per account and per client address in a window, and
# password-reset e-mails per address and per client address an hour.
ACCOUNTS_LOGIN_MAX_FAILURES = env.int("ACCOUNTS_LOGIN_MAX_FAILURES", default=5)
ACCOUNTS_LOGIN_MAX_FAILURES_PER_IP = env.int("ACCOUNTS_LOGIN_MAX_FAILURES_PER_IP", default=30)
ACCOUNTS_LOGIN_WINDOW_SECONDS = env.int("ACCOUNTS_LOGIN_WINDOW_SECONDS", default=900)
ACCOUNTS_RESET_MAX_PER_EMAIL = env.int("ACCOUNTS_RESET_MAX_PER_EMAIL", default=3)
ACCOUNTS_RESET_MAX_PER_IP = env.int("ACCOUNTS_RESET_MAX_PER_IP", default=20)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish")), ("nb", _("Norwegian Bokmål")), ("da", _("Danish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# ISO/Nordic dates, 24-hour times, the locale's separators (cxplatform/formats/<lang>/formats.py)
FORMAT_MODULE_PATH = ["cxplatform.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Stockholm")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]


def _plotly_static_dir() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data"


# plotly.min.js is served from the installed plotly package (never from a CDN, never committed).
STATICFILES_DIRS.append(("vendor/plotly", _plotly_static_dir()))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
# An XLSX is a zip: refuse one whose parts unpack to more than this, or a part over 10 MB packed more than RATIO
# times (real exports pack 5-20x; a shared-strings bomb 300x), before parsing.
IMPORT_XLSX_MAX_UNPACKED_BYTES = env.int("IMPORT_XLSX_MAX_UNPACKED_BYTES", default=1024 * 1024 * 1024)
IMPORT_XLSX_MAX_RATIO = env.int("IMPORT_XLSX_MAX_RATIO", default=100)

# E-mail: console in the demo, SMTP in production via EMAIL_URL.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CX Platform <noreply@cxplatform.local>")
# Seconds an SMTP conversation may take (the monthly report e-mails carry a PDF).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=60)
# A monthly report e-mail claimed this many minutes ago and still not sent (the worker died) is sent again.
REPORTS_DELIVERY_STALE_MINUTES = env.int("REPORTS_DELIVERY_STALE_MINUTES", default=15)
# An on-demand report version still waiting this many seconds after it was requested, and not being generated, lost
# its task (broker down): the `reports.requeue_pending` sweep queues it again.
REPORTS_REQUEUE_AFTER_SECONDS = env.int("REPORTS_REQUEUE_AFTER_SECONDS", default=300)

# Celery: eager (in-process) by default so the demo needs no broker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None) or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Broker outages: the worker (and beat) reconnect for as long as it takes (Celery's default gives up after 100
# attempts and exits); a task running when the connection drops runs to its end (cancelling it could stop an
# e-mail between its claim and its send). Its late ack may then be lost: the message comes back after the
# visibility timeout, and every task is idempotent.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Every broker key starts with this (empty: none); two deployments, or two test runs, can share one Redis database.
_celery_key_prefix = env.str("CELERY_BROKER_KEY_PREFIX", default="")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # A dead peer (Redis restarted elsewhere, a NAT dropping the flow) is noticed by TCP or by the ping before a
    # command on a connection idle for this many seconds, not by the first publish that hangs.
    "socket_keepalive": True,
    "health_check_interval": 10,
    # An unacknowledged message (acks_late) comes back after this many seconds: longer than any task may run.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 10 * 60),
    **({"global_keyprefix": _celery_key_prefix} if _celery_key_prefix else {}),
}
if CELERY_BROKER_URL.startswith("redis://"):
    # Kombu's Redis transport with the fix that keeps the worker alive when the broker goes away (see the class).
    CELERY_BROKER_TRANSPORT = "cxplatform.celery:RedisTransport"
# A worker touches this file every 10 s while it consumes (cxplatform.celery.LivenessFile); empty: no file. The
# worker's health check in docker-compose.yml reads its age.
WORKER_LIVENESS_FILE = env.str("WORKER_LIVENESS_FILE", default="")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api_auth.HasOrganization"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "6000/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CX Platform API",
    "DESCRIPTION": "Journeys, touchpoints, customers, feedback and KPIs. "
    "Authenticate with an organization API key: `Authorization: Api-Key <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc assets come from drf-spectacular-sidecar: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# The API schema and its docs pages: public (the default, and the demo's) or for signed-in users and API keys only.
if not env.bool("API_DOCS_PUBLIC", default=True):
    SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["rest_framework.permissions.IsAuthenticated"]

# Content-Security-Policy: nothing third-party, scripts only from our origin (plus nonces).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No page of ours is ever shown in a frame (CSP frame-ancestors says the same to browsers that read it).
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    # Behind the TLS proxy every request arrives as https (X-Forwarded-Proto); the container health check calls
    # http://127.0.0.1:8000/health/ directly and must not be redirected.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The report PDF's libraries narrate every step at INFO (WeasyPrint's layout steps, kaleido's browser).
        **{name: {"level": "WARNING"} for name in ("weasyprint", "fontTools", "kaleido", "choreographer", "logistro")},
    },
}

# Product settings.
MIN_N_DEFAULT = env.int("MIN_N_DEFAULT", default=30)
WHITENOISE_USE_FINDERS = DEBUG

# --- surveys settings (owned by the surveys app) ---
# Languages a survey can be written in (codes); the public pages' own texts exist in sv, nb, da and en.
SURVEY_LANGUAGES = env.list("SURVEY_LANGUAGES", default=["sv", "nb", "da", "en"])
# Public survey pages: submissions per minute per client IP (counted in CACHES["default"]; use Redis with
# several web processes), and how many reverse proxies in front of us append to X-Forwarded-For.
SURVEYS_PUBLIC_RATE_LIMIT = env.int("SURVEYS_PUBLIC_RATE_LIMIT", default=30)
SURVEYS_NUM_PROXIES = env.int("SURVEYS_NUM_PROXIES", default=0)
SURVEYS_PUBLIC_MAX_BYTES = env.int("SURVEYS_PUBLIC_MAX_BYTES", default=64 * 1024)
SURVEYS_TEXT_MAX_LENGTH = env.int("SURVEYS_TEXT_MAX_LENGTH", default=5000)
# Touchpoint events: invitations wait this long before the e-mail goes out, so a higher-priority touchpoint event
# for the same customer within the window replaces them; events older than the max age are not surveyed.
SURVEYS_EVENT_HOLD_MINUTES = env.int("SURVEYS_EVENT_HOLD_MINUTES", default=60)
SURVEYS_EVENT_MAX_AGE_DAYS = env.int("SURVEYS_EVENT_MAX_AGE_DAYS", default=7)
# An invitation e-mail claimed by a worker this long ago and still not recorded as sent (the worker died) is sent
# again by the sweep (surveys.send_due_invitations, every minute).
SURVEYS_INVITATION_CLAIM_TIMEOUT_SECONDS = env.int("SURVEYS_INVITATION_CLAIM_TIMEOUT_SECONDS", default=600)

# surveys.ingestion: API throttles per API key (or user), batch size, exports.
SURVEYS_API_THROTTLE_RATES = {
    "responses": env.str("SURVEYS_API_RESPONSES_RATE", default="6000/min"),
    "responses_batch": env.str("SURVEYS_API_RESPONSES_BATCH_RATE", default="120/min"),
}
SURVEYS_API_BATCH_MAX_ITEMS = env.int("SURVEYS_API_BATCH_MAX_ITEMS", default=500)
# The sweep (surveys.sweep_unprocessed, every minute) processes responses whose follow-up has not run after this
# many seconds (broker outage, lost task, imports), in batches of this size (the drain after submissions and
# imports claims batches of the same size: one statement marks a batch's rollup keys, one evaluates its alert rules).
SURVEYS_SWEEP_MIN_AGE_SECONDS = env.int("SURVEYS_SWEEP_MIN_AGE_SECONDS", default=60)
SURVEYS_SWEEP_BATCH_SIZE = env.int("SURVEYS_SWEEP_BATCH_SIZE", default=5000)
# Response imports check foreign keys once per chunk (FOR KEY SHARE) instead of per row when the database user
# may set session_replication_role (superuser, or PostgreSQL 15+ GRANT SET ON PARAMETER); False: per-row triggers.
SURVEYS_IMPORT_SET_BASED_FK_CHECKS = env.bool("SURVEYS_IMPORT_SET_BASED_FK_CHECKS", default=True)
# Response imports: "auto" uses the set-based SQL path on PostgreSQL and the portable Python path elsewhere (the
# SQLite demo); "portable" forces the Python path. Responses per chunk (one transaction and one progress step each).
SURVEYS_IMPORT_ENGINE = env.str("SURVEYS_IMPORT_ENGINE", default="auto")
SURVEYS_IMPORT_CHUNK_ROWS = env.int("SURVEYS_IMPORT_CHUNK_ROWS", default=100_000)
# The mapping page of a wide file posts a few fields per file column (hidden ones are disabled by its script).
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=5000)
# XLSX exports are built in memory before sending: capped; CSV exports stream and have no cap.
SURVEYS_EXPORT_XLSX_MAX_ROWS = env.int("SURVEYS_EXPORT_XLSX_MAX_ROWS", default=50_000)

# --- kpis settings (owned by the kpis app) ---

# --- value settings (owned by the value app) ---
# No money figure is claimed with fewer customers that have both a score and revenue (statistical honesty).
VALUE_MIN_CUSTOMERS = env.int("VALUE_MIN_CUSTOMERS", default=100)
VALUE_MIN_CHURN_EVENTS = env.int("VALUE_MIN_CHURN_EVENTS", default=10)
# How many months of scores, revenue and churn the model reads; how many snapshots per organization are kept.
VALUE_WINDOW_MONTHS = env.int("VALUE_WINDOW_MONTHS", default=24)
VALUE_SNAPSHOTS_KEPT = env.int("VALUE_SNAPSHOTS_KEPT", default=60)
# A touchpoint is called a key driver only if its correlation with the outcome is significant and at least this
# large in absolute value (0.1: Cohen's "small"); organizations may set their own on the value page.
VALUE_DRIVER_MIN_EFFECT = env.float("VALUE_DRIVER_MIN_EFFECT", default=0.1)
# A value-model run still waiting this many seconds after it was requested (nightly or on demand) lost its task
# (broker down, the nightly fan-out stopped midway): the `value.requeue` sweep queues it again.
VALUE_REQUEUE_AFTER_SECONDS = env.int("VALUE_REQUEUE_AFTER_SECONDS", default=300)

# --- actions settings (owned by the actions app) ---
# A case's team lead is reminded when this share of its SLA has passed; CX managers are alerted when it is due.
ACTIONS_SLA_WARNING_FRACTION = env.float("ACTIONS_SLA_WARNING_FRACTION", default=0.75)
# Cases escalated per run of actions.escalate_cases (the next run takes the rest).
ACTIONS_ESCALATION_BATCH = env.int("ACTIONS_ESCALATION_BATCH", default=500)
# Responses older than this when processed (historical imports) open no feedback case.
ACTIONS_MAX_RESPONSE_AGE_DAYS = env.int("ACTIONS_MAX_RESPONSE_AGE_DAYS", default=30)

# --- customers/imports settings (owned by the customers and imports apps) ---
# Rows validated and written per transaction; progress is saved after each batch.
IMPORT_BATCH_SIZE = env.int("IMPORT_BATCH_SIZE", default=2000)
# Row errors kept on the job for the page and the API; the full list is in the downloadable report.
IMPORT_INLINE_ERRORS = 50
# A started import whose task has not taken it this many seconds after it was queued (broker down, a crash between
# commit and publish) is queued again by the `imports.requeue` sweep; its claim makes a second delivery a no-op.
IMPORTS_REQUEUE_AFTER_SECONDS = env.int("IMPORTS_REQUEUE_AFTER_SECONDS", default=300)
# Runs of one import whose worker died (or ran out of time) before the sweep gives up and marks it failed.
IMPORTS_MAX_ATTEMPTS = env.int("IMPORTS_MAX_ATTEMPTS", default=3)
# A stable schema name for the import kind enum (other apps also have fields named "kind").
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["ImportKindEnum"] = "imports.models.ImportJob.Kind"

# --- outbox settings (owned by the outbox app) ---
# Side-effect e-mails (new-case notifications, customer replies, escalations) are outbox rows written in the
# transaction of the change, sent after commit, and swept every minute (outbox.sweep) if that send was missed.
# A failed send is retried after BASE, 2x, 4x ... seconds (at most MAX apart), then marked failed after MAX_ATTEMPTS
# (defaults: about four hours of retries).
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=60)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
# A message claimed this long ago and still "sending" (its worker died) is claimed again by the sweep.
OUTBOX_SENDING_TIMEOUT_SECONDS = env.int("OUTBOX_SENDING_TIMEOUT_SECONDS", default=600)
# Messages claimed at once (held in "sending" by one sender), and sent by one run of the sweep at most.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=50)
OUTBOX_SWEEP_MAX_MESSAGES = env.int("OUTBOX_SWEEP_MAX_MESSAGES", default=1000)
# Sent, failed and cancelled messages (addresses and texts) are deleted after this many days.
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=90)
# "auto": claim with FOR UPDATE SKIP LOCKED where the database has it (PostgreSQL), else one conditional UPDATE per
# row (SQLite); "portable" forces the second.
OUTBOX_CLAIM = env.str("OUTBOX_CLAIM", default="auto")

# --- audit settings (owned by the audit app) ---
# No settings: reads of personal data are recorded by audit.middleware.AuditMiddleware for the URL names listed in
# audit/registry.py; events are kept as long as each organization's retention policy says (privacy app; none: kept).

# --- privacy settings (owned by the privacy app) ---
# Nightly retention: customers erased per transaction, and at most this many per organization and night (the rest
# the next night), so one run never holds locks or a transaction for long.
PRIVACY_RETENTION_BATCH = env.int("PRIVACY_RETENTION_BATCH", default=50)
PRIVACY_RETENTION_MAX_PER_RUN = env.int("PRIVACY_RETENTION_MAX_PER_RUN", default=5000)
# A retention run asked for on the privacy page and still queued after this many seconds lost its task (broker
# down): privacy.sweep_retention_runs queues it again. A running one without progress past the task's hard time
# limit lost its worker and is marked failed.
PRIVACY_RETENTION_REQUEUE_AFTER_SECONDS = env.int("PRIVACY_RETENTION_REQUEUE_AFTER_SECONDS", default=300)
PRIVACY_RETENTION_STALE_SECONDS = env.int("PRIVACY_RETENTION_STALE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 300)

# --- webhooks settings (owned by the webhooks app) ---
# Plain http:// endpoint URLs (tests, development); production endpoints must use https://.
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=DEBUG)
# Deliver to loopback, private, link-local and other non-public addresses (tests, on-premise installs). Off: such
# targets are refused on save and on every send, after DNS resolution.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
# Attempts per delivery; the delay after attempt n is WEBHOOKS_RETRY_BASE_SECONDS * 2^(n-1) (+-25 %), capped.
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=10)
WEBHOOKS_RETRY_BASE_SECONDS = env.int("WEBHOOKS_RETRY_BASE_SECONDS", default=30)
WEBHOOKS_RETRY_MAX_SECONDS = env.int("WEBHOOKS_RETRY_MAX_SECONDS", default=6 * 3600)
# An endpoint is disabled after this many deliveries in a row failed for good (0: never).
WEBHOOKS_DISABLE_AFTER_FAILURES = env.int("WEBHOOKS_DISABLE_AFTER_FAILURES", default=10)
# After a secret rotation the previous secret also signs for this many hours.
WEBHOOKS_SECRET_GRACE_HOURS = env.int("WEBHOOKS_SECRET_GRACE_HOURS", default=24)
# A delivery claimed this long ago and still "sending" (its worker died) is sent again by the sweep.
WEBHOOKS_STALE_SECONDS = env.int("WEBHOOKS_STALE_SECONDS", default=120)
# Delivered and failed deliveries are kept in the log this many days.
WEBHOOKS_LOG_RETENTION_DAYS = env.int("WEBHOOKS_LOG_RETENTION_DAYS", default=30)
# CA bundle for verifying endpoints' certificates ("" = certifi's).
WEBHOOKS_CA_BUNDLE = env.str("WEBHOOKS_CA_BUNDLE", default="")

# --- access settings: SSO, two-factor, sessions (owned by the accounts app) ---
# Password sign-in, and single sign-on through each organization's own OpenID Connect provider (accounts.sso).
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "accounts.sso.SsoBackend"]
# A signed-in session unused for this many minutes is signed out (0: never).
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=60)
# Seconds to wait for an identity provider (discovery, token, keys, userinfo), how long its discovery document is
# cached, and the clock difference tolerated when checking an id_token's times.
ACCOUNTS_SSO_TIMEOUT_SECONDS = env.int("ACCOUNTS_SSO_TIMEOUT_SECONDS", default=10)
ACCOUNTS_SSO_DISCOVERY_CACHE_SECONDS = env.int("ACCOUNTS_SSO_DISCOVERY_CACHE_SECONDS", default=3600)
ACCOUNTS_SSO_CLOCK_SKEW_SECONDS = env.int("ACCOUNTS_SSO_CLOCK_SKEW_SECONDS", default=60)
# Identity providers must be reached over https; http:// issuers are allowed only for development and tests.
ACCOUNTS_SSO_ALLOW_HTTP = env.bool("ACCOUNTS_SSO_ALLOW_HTTP", default=DEBUG)
# The server calls each identity provider (discovery, token, keys, userinfo) only on public internet addresses,
# checked after DNS resolution (core.netguard: no SSRF to loopback, private, link-local or metadata addresses).
# True allows a self-hosted provider on the local network; the tests' local provider on 127.0.0.1 sets it.
ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES = env.bool("ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES", default=False)
# Secrets the platform must read back (two-factor, single sign-on and webhook signing secrets) are stored encrypted
# with this Fernet key, kept apart from the database (accounts.encryption). Several, comma-separated: the first
# encrypts, all decrypt (rotation: `manage.py encrypt_secrets`). Required when DEBUG is off (`manage.py check`
# says so); the demo derives one from SECRET_KEY. Generate one with
# python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="derive-from-secret-key" if DEBUG else "")

# --- api settings: keys, schema (owned by the API helper) ---
# The API's common contract (core/api.py): errors always JSON objects, query parameters validated, and every
# operation's possible errors in the schema.
REST_FRAMEWORK["EXCEPTION_HANDLER"] = "core.api.exception_handler"
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "core.api.AutoSchema"
REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] = "core.api_params.LimitOffsetPagination"
REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"] = ["core.api_params.FilterBackend"]

# --- journeys settings (owned by the journeys app) ---
# A stable schema name for the touchpoint channel enum (invitations and contact attempts have "channel" fields too).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["TouchpointChannelEnum"] = "journeys.models.Channel"
