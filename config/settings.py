"""Settings, read from the environment: the one settings module of every deployment.

With DEBUG=true and nothing else (what `bin/dev` does) the service runs on embedded defaults (SQLite, console
email, Celery eager mode, a development secret key) so a fresh clone starts with one command. Production
sets SECRET_KEY (required whenever DEBUG is off), DATABASE_URL, REDIS_URL, ALLOWED_HOSTS, SITE_URL and the
EMAIL_* variables (see README). The test suite's additions live in `config/settings_test.py`.
"""

import warnings
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A published key signs nobody's sessions: development (DEBUG) may use it, anything else must set its own.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me-in-production-0123456789"  # noqa: S105 - public on purpose
SECRET_KEY = env.str("SECRET_KEY", default="") or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not DEBUG and SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "Set SECRET_KEY in the environment (a long random string, e.g. from "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`): DEBUG is off, and the insecure "
        "development key is only for DEBUG=true."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A form refused for its CSRF token gets a page that says why in words (signed in again in another tab).
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rules.apps.AutodiscoverRulesConfig",
    "django_fsm",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "councils",
    "bids",
    "assessments",
    "collaboration",
    "projects",
    "notifications",
    "pipeline",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "councils.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.GonePagesMiddleware",
    "core.middleware.SignedOutFormMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.PrivateResponsesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After the security headers' middleware, so their refusals and pages carry them.
    "core.middleware.RefuseUnreadableRequestsMiddleware",
    "core.middleware.MethodNotAllowedPagesMiddleware",
    # A form that makes something, sent twice (a double click without JavaScript, Back and send again), acts once.
    "core.once.SentOnceMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.service",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded demo has a web process and (optionally) a worker writing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # A writer takes the lock when its transaction starts, so two writers queue instead of one failing.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # The bids' covering indexes (`include`, for index-only scans on PostgreSQL) are plain indexes here: as meant.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "councils.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any sign-in (the service's or Django admin's) while the account or address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in lock-out (django-axes): after SIGN_IN_FAILURE_LIMIT wrong passwords for one account, or from one address,
# sign-in is refused for SIGN_IN_LOCKOUT_MINUTES (counted from the failure that reached the limit), on the sign-in
# page and in Django admin alike. A right password resets the account's count.
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGN_IN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# A sign-in refused by the lock-out is not judged, so it is no failure: while an address is locked out, a person
# signing in from it with their right password is not counted against their account (nor does the lock-out grow).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "councils.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "councils.signin.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
# Failures count against the address as it is kept (lower case), however it was typed.
AXES_USERNAME_CALLABLE = "councils.signin.lockout_username"
AXES_VERBOSE = False
# How many reverse proxies in front of the service append to X-Forwarded-For (0: use the connection's address).
# Behind one load balancer set 1, or every visitor shares the proxy's address for the lock-out.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Two-factor sign-in (django-otp): an authenticator app's code (TOTP) or a one-time recovery code. Required for
# programme staff, assessors and administrators; council users may turn it on.
OTP_TOTP_ISSUER = "Local Digital Fund"
TWO_FACTOR_RECOVERY_CODES = 10

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# GOV.UK Frontend comes from the pinned npm package (npm ci), never a CDN or committed dist files.
GOVUK_FRONTEND_DIST = BASE_DIR / "node_modules" / "govuk-frontend" / "dist"
STATICFILES_DIRS = [BASE_DIR / "static", ("govuk", GOVUK_FRONTEND_DIST / "govuk")]
# Its CSS refers to fonts and images by absolute /assets/... URLs, so the package folder is also served
# at the site root.
WHITENOISE_ROOT = GOVUK_FRONTEND_DIST / "govuk"
# After `collectstatic` (production) files are served hashed and compressed from STATIC_ROOT; before it
# (the demo, tests) WhiteNoise serves them straight from the finders.
COLLECTED = (STATIC_ROOT / "staticfiles.json").exists()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not COLLECTED
if not COLLECTED:
    # Nothing is collected yet, by design (the demo and the benchmark serve files from the finders): WhiteNoise
    # need not warn about the missing STATIC_ROOT in every web process it starts.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
WHITENOISE_AUTOREFRESH = DEBUG

# Uploaded supporting documents: outside STATIC/any public URL, served only through a permission check.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media")))
MEDIA_ROOT = PRIVATE_MEDIA_ROOT

REDIS_URL = env.str("REDIS_URL", default="")
# The cache's Redis: best a database of its own (e.g. redis://redis:6379/1), so clearing it never touches the
# broker's queues; by default the broker's, with its keys kept apart by a prefix.
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)

# One cache, Django's cache framework. With a Redis URL every web process on every machine shares it; without
# (the embedded demo, one process) it is local memory. What is cached, and what each entry is measured to
# save, is listed in the README ("Caching"); nothing's correctness depends on it.
if CACHE_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, which reads as a miss while Redis does not answer (core/cache.py), with
            # timeouts short enough that a Redis that hangs costs a page little.
            "BACKEND": "core.cache.ForgivingRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "ldf-cache",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ldf"}}

# Email. Without REDIS_URL (the embedded demo) messages are printed to the console; otherwise SMTP from EMAIL_*.
# EMAIL_BACKEND=notifications.backends.GovukNotifyEmailBackend sends through GOV.UK Notify instead.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if REDIS_URL
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Local Digital Fund <noreply@localdigital.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. No REDIS_URL → the embedded demo runs tasks eagerly (never in tests of Celery itself).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not (REDIS_URL or "CELERY_BROKER_URL" in env))
CELERY_TASK_EAGER_PROPAGATES = False
# A killed worker's message is delivered again (delivery is idempotent: the row is locked and sent once).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless told to reuse it; opening a
# PostgreSQL connection costs more than delivering a message. A broken connection fails one task, whose row
# stays pending for its retry or the sweep.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=200)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Fail fast when the broker is down or hung: a web request enqueues after commit, and must never wait on the broker
# for more than about a second. The outbox keeps the message and the sweep sends it later. A frozen Redis accepts
# connections (the kernel completes them) and never answers, so a read timeout is needed as well as a connect
# timeout (measured here: a publish to a frozen Redis fails after one timeout, 0.5 s by default). The worker's
# blocking reads (BRPOP) are driven by its event loop and are not bound by it.
CELERY_BROKER_SOCKET_TIMEOUT = env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=0.5)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_timeout": CELERY_BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": CELERY_BROKER_SOCKET_TIMEOUT,
    # Redis redelivers an unacknowledged message after this long; every retry countdown stays well below it.
    "visibility_timeout": 3600,
}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=CELERY_BROKER_SOCKET_TIMEOUT)
# No retry of a failed publish: redis-py itself reconnects a pooled connection that a Redis restart closed, and
# against a hung broker each retry costs another connect and another read timeout. After a failure
# enqueue_delivery leaves the broker alone for NOTIFICATIONS_BROKER_BACKOFF seconds.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


def _periodic(task: str, schedule, *, expires: float) -> dict:
    """A beat entry. A run not started within `expires` seconds is dropped rather than run late beside the next."""
    return {"task": task, "schedule": schedule, "options": {"expires": expires}}


def _morning(task: str, *, minute: int) -> dict:
    """A reminder run each morning at 08:`minute` (staggered so they do not all start at once), dropped after six
    hours: a reminder is not sent in the evening."""
    return _periodic(task, crontab(hour=8, minute=minute), expires=6 * 3600)


# Periodic sweeps, never long countdowns (a countdown past the visibility timeout is delivered again and again).
CELERY_BEAT_SCHEDULE: dict = {
    "notifications-sweep-pending": _periodic("notifications.sweep_pending", 60.0, expires=55),
    # Password-reset requests whose message the broker lost (councils.tasks.PASSWORD_RESET_SWEEP_AFTER).
    "councils-sweep-password-resets": _periodic("councils.sweep_password_resets", 60.0, expires=55),
    # Rounds open and close at their times: within a minute of them (a bid is judged by the closing time
    # itself, whether or not this has run yet).
    "bids-open-and-close-rounds": _periodic("bids.open_and_close_rounds", 60.0, expires=55),
    "collaboration-sweep-index": _periodic("collaboration.sweep_index", 300.0, expires=290),
    "bids-round-closing-reminders": _morning("bids.send_round_closing_reminders", minute=0),
    "assessments-assessment-reminders": _morning("assessments.send_assessment_reminders", minute=5),
    "bids-clarification-reminders": _morning("bids.send_clarification_reminders", minute=10),
    "projects-reminders": _morning("projects.send_reminders", minute=15),
}

# Notifications: transient failures are retried after NOTIFICATIONS_RETRY_BACKOFF × 2^(attempt-1) seconds (at
# most NOTIFICATIONS_RETRY_BACKOFF_MAX), up to NOTIFICATIONS_MAX_ATTEMPTS attempts; the sweep re-queues pending
# rows NOTIFICATIONS_SWEEP_AFTER seconds past their expected attempt.
# With the defaults a temporary failure is retried for about two hours (30 s, 1, 2, 4, 8 and 16 minutes, then every
# 30 minutes: 10 attempts over 7,290 s) before the row fails as "gave up"; staff can then retry everything that
# failed since the outage began (the outbox page, or manage.py notifications_retry_failed).
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=10)
NOTIFICATIONS_RETRY_BACKOFF = env.float("NOTIFICATIONS_RETRY_BACKOFF", default=30.0)
NOTIFICATIONS_RETRY_BACKOFF_MAX = min(env.float("NOTIFICATIONS_RETRY_BACKOFF_MAX", default=1800.0), 3000.0)
NOTIFICATIONS_SWEEP_AFTER = env.int("NOTIFICATIONS_SWEEP_AFTER", default=300)
# How long a claimed row is left to the worker sending it before the sweep may take it back (a dead worker).
NOTIFICATIONS_SEND_LEASE = env.int("NOTIFICATIONS_SEND_LEASE", default=300)
# After a failed publish, how long a process leaves the broker alone (the sweep sends what it could not queue).
NOTIFICATIONS_BROKER_BACKOFF = env.float("NOTIFICATIONS_BROKER_BACKOFF", default=30.0)
NOTIFICATIONS_SWEEP_BATCH = env.int("NOTIFICATIONS_SWEEP_BATCH", default=500)
NOTIFICATIONS_GOVUK_NOTIFY_API_KEY = env.str("NOTIFICATIONS_GOVUK_NOTIFY_API_KEY", default="")
NOTIFICATIONS_GOVUK_NOTIFY_TEMPLATE_ID = env.str("NOTIFICATIONS_GOVUK_NOTIFY_TEMPLATE_ID", default="")
NOTIFICATIONS_GOVUK_NOTIFY_BASE_URL = env.str(
    "NOTIFICATIONS_GOVUK_NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk"
)

# Similar work (collaboration): the score (cosine of the texts' embeddings, 0–1) at and above which pages and
# the API call work "related"; the one threshold for every page, the API and the staff table's overlap flag.
# Chosen on the labelled development set and a second set written for this project (README, "Similar work").
SIMILAR_WORK_RELATED_SCORE = env.float("SIMILAR_WORK_RELATED_SCORE", default=0.42)
# Embed changed text in the web process right after commit instead of in a Celery task (the demo, and tests
# that need the index at once). Off in production: a model pass takes tens of milliseconds a text.
SIMILARITY_INDEX_INLINE = env.bool("SIMILARITY_INDEX_INLINE", default=False)
# How long after a change of a bid's text its Celery task re-embeds it: the saves of that time cost one model pass
# (most of a second of CPU a bid; a council saves section after section on closing day), and "Others working on
# this" is at most this much behind. Measured in bench/rush.py (README, "Benchmarks").
SIMILARITY_INDEX_DELAY = env.float("SIMILARITY_INDEX_DELAY", default=60.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# HTTPS. Behind the proxy that terminates TLS: SECURE_COOKIES=true, SECURE_SSL_REDIRECT=true and
# SECURE_HSTS_SECONDS=31536000 (README, "Production configuration"; `check --deploy` is clean with it).
if not DEBUG and env.bool("SECURE_COOKIES", default=False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles only from this site's own files — no inline script
# or style, no eval, nothing from elsewhere. Every page, the Django admin included, passes it (tests/e2e).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Browser features no page uses, switched off (core.middleware.PrivateResponsesMiddleware sends it).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), browsing-topics=()"
)

SERVICE_NAME = "Local Digital Fund"
# Where the phase banner's "tell us what you think" link goes: a mailto: address or a feedback page's URL.
FEEDBACK_URL = env.str("FEEDBACK_URL", default="mailto:feedback@localdigital.example")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "pipeline.pagination.PageNumbers",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "pipeline.negotiation.FormatNegotiation",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Local Digital Fund API",
    "DESCRIPTION": "Read API for bids, rounds and the 360Giving open data export.",
    "VERSION": "1.0.0",
}

# Open data (360Giving): identifiers of the fund as a funder. The defaults are fictional, so a service that has
# not been configured never publishes grants under a real funder's identifier. OPEN_DATA_PREFIX is the prefix
# registered with 360Giving (with or without its "360G-"); grant ids are 360G-<prefix>-<reference> and never
# change once published, so set it before the first award is published (changing it changes every id).
OPEN_DATA_PREFIX = env.str("OPEN_DATA_PREFIX", default="EXAMPLE-LDF")
FUNDING_ORG_ID = env.str("FUNDING_ORG_ID", default="XI-EXAMPLE-LDF")
FUNDING_ORG_NAME = env.str("FUNDING_ORG_NAME", default="Example funder (not a real organisation)")
# True when the database holds made-up demo data (bin/dev, `manage.py seed_demo`): every page and the open
# data then say so. Never true in production.
DEMO_DATA = env.bool("DEMO_DATA", default=False)
