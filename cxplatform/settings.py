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
    "reports",
    "audit",
    "privacy",
    "outbox",
    "webhooks",
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
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.CurrentOrganizationMiddleware",
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
    # fail open (cxplatform.ratelimit) and intake goes on.
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
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
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
# A stable schema name for the import kind enum (other apps also have fields named "kind").
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["ImportKindEnum"] = "imports.models.ImportJob.Kind"

# --- outbox settings (owned by the outbox app) ---

# --- audit settings (owned by the audit app) ---

# --- privacy settings (owned by the privacy app) ---

# --- webhooks settings (owned by the webhooks app) ---

# --- access settings: SSO, two-factor, sessions (owned by the accounts app) ---

# --- api settings: keys, schema (owned by the API helper) ---

# --- journeys settings (owned by the journeys app) ---
# A stable schema name for the touchpoint channel enum (invitations and contact attempts have "channel" fields too).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["TouchpointChannelEnum"] = "journeys.models.Channel"
