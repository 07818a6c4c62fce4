"""One settings module, read from the environment (django-environ).

Everything that differs between a laptop and production is an environment variable; see
README.md. With no DATABASE_URL / CELERY_BROKER_URL the embedded services of config.embedded are
started, so `python manage.py ...` works on a fresh machine too.
"""
import hashlib
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from django.core.exceptions import ImproperlyConfigured
from celery.schedules import crontab

from config import embedded
from core.local_data import DATA_DIR, persistent_secret

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

if not os.environ.get("DATABASE_URL"):
    _embedded_pg, os.environ["DATABASE_URL"] = embedded.start_postgres()
if not os.environ.get("CELERY_BROKER_URL"):
    _, os.environ["CELERY_BROKER_URL"] = embedded.start_redis()

# X1: one flag switches on every HTTPS / secure-cookie setting.
SECURE = env.bool("DJANGO_SECURE", default=False)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=None) or persistent_secret("django_secret_key")

PLATFORM_DOMAIN = env("PLATFORM_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}", "127.0.0.1"])
# Where links printed or e-mailed to people point; the port is added in development.
PUBLIC_SCHEME = "https" if SECURE else "http"
PUBLIC_PORT = env.int("PUBLIC_PORT", default=None)

# --- apps: public schema vs enterprise schemas --------------------------------------------
# contenttypes lives only in public: one id space for every schema (django-tenants #348).
SHARED_APPS = [
    "tenants",  # before django_tenants: its migrate_schemas (tenants.schema_migrations) replaces theirs
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "guardian",
    "access",  # who may do what: no models, in both lists so both kinds of schema load it
    "privacy",  # per-person data keys: in public for staff, in each enterprise for its people
    "accounts",  # in public: platform support staff; in each enterprise: its people
    "policies",  # C8: privacy-policy versions, published once for every enterprise
    "audit_anchors",  # X4: signed checkpoints of every enterprise's audit chain, outside its schema
    "incidents",  # X5: platform incidents and the public announcements live in public; each enterprise's in its schema
    "certification",  # E4: enterprises' certification cases, reviewed by platform support across enterprises
    "transfers",  # C10: the platform's record of an enterprise's data passing to a new holder
    "demo",  # `manage.py seed_demo`: the living demo enterprise of `make run` (no models)
]
TENANT_APPS = [
    "django.contrib.auth",
    "django.contrib.sessions",
    "axes",
    "guardian",
    "access",
    "privacy",
    "accounts",
    "consent",
    "orgdata",
    "audit",
    "attendance",
    "fieldwork",
    "erasure",
    "rights",
    "incidents",
    "approvals",
    "announcements",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

# --- privacy core: encryption at rest (X1, R4) ------------------------------------------------
# "<id>=<base64 of 32 bytes>", newest first; older entries only unwrap (rotation: prepend a key,
# run `manage.py privacy_rewrap_keys`, then drop the old one). Development keeps one in .data/.
PRIVACY_MASTER_KEYS = env("PRIVACY_MASTER_KEYS", default=None) or (
    None if SECURE else "local1=" + persistent_secret("privacy_master_key", 32))
# HMAC key of blind indexes (lookups by mobile and ID number). Never rotated in place: changing it
# means recomputing every index.
PRIVACY_BLIND_INDEX_KEY = env("PRIVACY_BLIND_INDEX_KEY", default=None) or (
    None if SECURE else persistent_secret("privacy_blind_index_key", 32))
if not PRIVACY_MASTER_KEYS or not PRIVACY_BLIND_INDEX_KEY:
    raise ImproperlyConfigured("PRIVACY_MASTER_KEYS and PRIVACY_BLIND_INDEX_KEY must be set when DJANGO_SECURE=1")
# X4: HMAC key that signs the audit chains' checkpoints (audit.checkpoints). Changing it makes
# every earlier checkpoint fail verification.
AUDIT_CHECKPOINT_KEY = env("AUDIT_CHECKPOINT_KEY", default=None) or (
    None if SECURE else persistent_secret("audit_checkpoint_key", 32))
if not AUDIT_CHECKPOINT_KEY:
    raise ImproperlyConfigured("AUDIT_CHECKPOINT_KEY must be set when DJANGO_SECURE=1")
DEFAULT_EXCEPTION_REPORTER_FILTER = "privacy.redaction.RedactingExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "privacy.redaction.RedactingExceptionReporter"

TENANT_MODEL = "tenants.Enterprise"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# Template schema that new enterprises are cloned from, after checking it is fully migrated.
TENANT_TEMPLATE_SCHEMA = "_enterprise_template"
# Fully migrated empty schemas kept ready so provisioning renames one instead of cloning.
TENANT_SPARE_SCHEMAS = env.int("TENANT_SPARE_SCHEMAS", default=3)
# Hosts whose routing facts each process keeps (core.process_cache, least recently used dropped
# first; about 1 KB each, see bench/scale_routing.py); a host beyond it is read from Redis.
TENANT_ROUTING_LOCAL_HOSTS = env.int("TENANT_ROUTING_LOCAL_HOSTS", default=20_000)
# (enterprise, person) consent states each process keeps the same way.
CONSENT_STATE_LOCAL_ENTRIES = env.int("CONSENT_STATE_LOCAL_ENTRIES", default=50_000)
# Skip repeated `SET search_path`; tenants.postgresql_backend keeps that safe across rollbacks.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    "accounts.cookies.StrictlyNecessaryCookiesMiddleware",  # X8: outermost: only listed cookies leave
    "tenants.routing.TenantRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "audit.middleware.RequestLogMiddleware",  # X4: audit context + access log
    "config.request_limits.RequestLimitsMiddleware",  # no input causes a 500: refused here, logged above
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "tenants.collection_stop.CollectionStopMiddleware",  # E10: no new personal information from the stop date
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",  # E5: a reset password is changed first
    "consent.middleware.PolicyAcceptanceMiddleware",  # C8: significant changes are accepted first
    "tenants.basic_details.BasicDetailsRequiredMiddleware",  # E1: location, industry, size given first
    "core.errors.ConsoleRefusalMiddleware",  # domain refusals become console pages with their status
]

ROOT_URLCONF = "config.urls_tenant"
# A refused form (expired CSRF token) gets the console's error page with a way back (core.errors).
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "erasure.context_processors.enterprise_cancellation",
                "tenants.context_processors.service_cessation",  # E10: every page shows an announced cessation
                "rights.context_processors.rights_due_banner",  # issue 13: requests due soon, for their handlers
                "certification.context_processors.certification",  # E4: the console's "certified" mark
                "consent.context_processors.rights_reduction",  # C8: a rights-reducing version awaiting my answer
            ],
        },
    },
]

# --- database ------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL")}
# A Unix-socket directory arrives percent-encoded in the URL's host part.
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
DATABASES["default"]["ENGINE"] = "tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- caches --------------------------------------------------------------------------------
# The default cache prefixes every key with the current schema (one enforcement point for
# "every cache key carries the schema"). Host routing happens before a schema is chosen and uses
# the same Redis directly, with global keys (tenants.routing_cache).
def _cache_url_beside_broker(broker_url: str) -> str | None:
    """Use the broker's Redis for caching too, in database 1 so the queues stay apart."""
    if broker_url.startswith("redis+socket://"):
        return broker_url.replace("redis+socket://", "unix://") + "?db=1"
    if broker_url.startswith(("redis://", "rediss://")):
        return broker_url.rsplit("/", 1)[0] + "/1" if broker_url.count("/") > 2 else broker_url + "/1"
    return None


CACHE_URL = env("CACHE_URL", default=None) or _cache_url_beside_broker(os.environ["CELERY_BROKER_URL"])
if CACHE_URL is None:  # e.g. a RabbitMQ broker: routing and caches still need a shared Redis
    CACHE_URL = _cache_url_beside_broker(embedded.start_redis()[1])
_cache_prefix = env("CACHE_KEY_PREFIX", default=DATABASES["default"]["NAME"])
# Short timeouts: while Redis is unreachable, routing and consent read the database instead
# (core.process_cache.redis_breaker) and must not wait long to find out.
_cache_backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                  "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}}
CACHES = {
    "default": {**_cache_backend, "KEY_PREFIX": _cache_prefix, "KEY_FUNCTION": "django_tenants.cache.make_key"},
}

# --- authentication and passwords -----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# X3: complex passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("mobile", "display_name")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
LOGIN_URL = "console:login"
# "/" on every host: the console on an enterprise's, the admin on the platform's (an admin sign-in
# without `next` must not look for the console, which the platform host does not serve).
LOGIN_REDIRECT_URL = "/"
# Guardian's post-migrate anonymous user would be created in every schema by migrate_schemas and
# breaks it in this layout (django-tenants #71); nothing here grants rights to anonymous users.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# Login throttling (django-axes) for console, admin and API: per normalised mobile number, and per
# address with a higher limit (accounts.throttling.LoginThrottleHandler).
AXES_HANDLER = "accounts.throttling.LoginThrottleHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env.int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=50)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False  # a failure log would hold mobile numbers in plaintext

SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

if SECURE:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[f"https://*.{PLATFORM_DOMAIN}"])

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.DeviceTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["config.parsers.LimitedJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Enterprise workforce platform — mobile API",
    "DESCRIPTION": (
        "API for employees' mobile clients. Call it on your enterprise's host "
        "(find it with GET /api/v1/enterprises/lookup?code=...). Authenticate with "
        "`Authorization: Token <token>` and the `X-Device-Id` header of the device the token "
        "was issued to."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several choice sets are called `kind`: each gets a name instead of a hash suffix.
    "ENUM_NAME_OVERRIDES": {"RightsRequestKindEnum": "rights.models.RightsRequest.Kind",
                            "CheckInKindEnum": "attendance.models.CheckIn.Kind",
                            "ReportKindEnum": "fieldwork.models.Report.Kind",
                            "ApprovalKindEnum": "approvals.models.Kind",
                            "ApprovalStatusEnum": "approvals.models.ApprovalRequest.Status"},
    # Swagger's "Try it out": the token and device headers stay filled in across reloads.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "deepLinking": True},
    # Operations grouped by domain, and the refusals of the enforcement points on every operation
    # they apply to: C8's policy refusal (consent.api.openapi), then the shared ones (config.openapi).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "consent.api.openapi.document_policy_acceptance_refusal",
                             "config.openapi.document_shared_refusals",
                             "config.openapi.group_by_domain"],
}

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None) or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "rpc://"
)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True  # a killed worker's task goes back to the queue
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A prefork child that has grown past this (resident KiB) is replaced after its task: memory a big
# import leaves fragmented is given back. Each import also runs under its own address-space ceiling
# (orgdata.services.imports.jobs._memory_ceiling), which turns runaway growth into a MemoryError.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_KIB", default=1_024_000)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 60 * 60
CELERY_TASK_TENANT_CACHE_SECONDS = 0  # the task re-reads its enterprise's status every time
# Issue 18: a task for an enterprise whose schema is being migrated waits (core.tasking): 10 minutes.
ENTERPRISE_UPGRADING_RETRY_SECONDS = env.int("ENTERPRISE_UPGRADING_RETRY_SECONDS", default=30)
ENTERPRISE_UPGRADING_RETRIES = 20
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Periodic work is declared once per tenant task and fanned out to ready enterprises by
# tenants.tasks.run_for_ready_enterprises.
CELERY_BEAT_SCHEDULE = {
    "replenish-spare-schemas": {
        "task": "tenants.tasks.replenish_spare_schemas",
        "schedule": crontab(minute="*/10"),
    },
    "purge-expired-device-tokens": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(minute=17),
        "args": ("accounts.tasks.purge_expired_device_tokens",),
    },
    # E1: stand-in accounts of registrations not finished within a day (tenants.registration).
    "purge-abandoned-registrations": {
        "task": "tenants.tasks.purge_abandoned_registrations",
        "schedule": crontab(minute=52),
    },
    "purge-verification-records": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(minute=47),
        "args": ("accounts.tasks.purge_verification_records",),
    },
    "ensure-log-partitions": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(hour=1, minute=7),
        "args": ("audit.tasks.ensure_log_partitions",),
    },
    "apply-retention": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(hour=3, minute=37),
        "args": ("audit.tasks.apply_retention",),
    },
    "audit-chain-checkpoints": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(minute="*/10"),
        "args": ("audit.tasks.record_chain_checkpoint",),
    },
    "recover-abandoned-imports": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(minute="*/5"),
        "args": ("orgdata.tasks.recover_abandoned_imports",),
    },
    # X5: incidents resume where they stopped; failed notices are retried when due.
    "continue-incidents": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(minute="*"),
        "args": ("incidents.tasks.continue_incidents",),
    },
    # Issue 16: a refused announcement push is tried again when due (bounded, backing off).
    "retry-announcement-pushes": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(minute="*"),
        "args": ("announcements.tasks.retry_due_pushes",),
    },
    # Issue 14: export files kept an hour, unconfirmed imports a day (both hold personal information).
    "expire-transfer-files": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(minute="*/10"),
        "args": ("orgdata.tasks.expire_transfer_files",),
    },
    "enterprise-lifecycle": {
        "task": "erasure.tasks.run_enterprise_lifecycle",
        "schedule": crontab(minute="*/10"),
    },
    "rights-deadlines": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(minute="*/15"),
        "args": ("rights.tasks.watch_deadlines",),
    },
    "recover-erasure-jobs": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(minute="*/10"),
        "args": ("erasure.tasks.recover_erasure_jobs",),
    },
    "requeue-stuck-deletion-notices": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(minute="*/15"),
        "args": ("consent.tasks.requeue_stuck_deletion_notices",),
    },
    "erase-leavers-past-retention": {
        "task": "tenants.tasks.run_for_ready_enterprises",
        "schedule": crontab(hour=4, minute=17),
        "args": ("erasure.tasks.erase_leavers_past_retention",),
    },
}
# E9: days an enterprise's manager can withdraw an application for cancellation; days after the paid
# period ends before an unrenewed paid enterprise is cancelled (it is warned the day it ends).
ENTERPRISE_CANCELLATION_GRACE_DAYS = env.int("ENTERPRISE_CANCELLATION_GRACE_DAYS", default=15)
UNPAID_CANCELLATION_DAYS = env.int("UNPAID_CANCELLATION_DAYS", default=30)
# R2: days the answer to a copy request (its archive) can be downloaded before it is deleted.
RIGHTS_RESULT_DAYS = env.int("RIGHTS_RESULT_DAYS", default=7)
# A1: reports one console export writes in the request (a longer period is exported in parts).
FIELDWORK_EXPORT_MAX_ROWS = env.int("FIELDWORK_EXPORT_MAX_ROWS", default=5000)
# X5: minutes before each retry of an incident notice that failed (e-mail, text message); after the
# last, the delivery is failed and a person no channel reached is counted unreachable.
INCIDENT_RETRY_MINUTES = env.list("INCIDENT_RETRY_MINUTES", cast=int, default=[1, 5, 30])
# R3: deletion-notice webhooks are HTTPS to public hosts; plain HTTP to this machine's loopback
# address is accepted only in development (consent.services.deletion_notices.webhook_url_problem).
DELETION_NOTICE_LOCAL_HTTP = env.bool("DELETION_NOTICE_LOCAL_HTTP", default=DEBUG)
# S2: months each kind of record is kept (audit.retention refuses less than the legal minimum:
# 6 for logs, 36 for transaction records).
RETENTION_MONTHS = {
    "access_log": env.int("RETENTION_ACCESS_LOG_MONTHS", default=6),
    "audit_log": env.int("RETENTION_AUDIT_LOG_MONTHS", default=12),
    "login_log": env.int("RETENTION_LOGIN_LOG_MONTHS", default=6),
    "transaction": env.int("RETENTION_TRANSACTION_MONTHS", default=36),
    # Issue 12 §3: a leaver's employment record, counted from the day they left (≥ 24: labour law
    # keeps a terminated contract 2 years); then the erasure engine erases the person.
    "employment_record": env.int("RETENTION_EMPLOYMENT_RECORD_MONTHS", default=24),
}

# E10: a service cessation is announced at least this many days before collection stops (never
# fewer than 30), and enterprises keep reading and exporting for the wind-down days after it.
SERVICE_CESSATION_NOTICE_DAYS = env.int("SERVICE_CESSATION_NOTICE_DAYS", default=30)
SERVICE_CESSATION_WIND_DOWN_DAYS = env.int("SERVICE_CESSATION_WIND_DOWN_DAYS", default=30)
if SERVICE_CESSATION_NOTICE_DAYS < 30:
    raise ImproperlyConfigured("SERVICE_CESSATION_NOTICE_DAYS cannot be fewer than 30 (E10)")
if SERVICE_CESSATION_WIND_DOWN_DAYS < 0:
    raise ImproperlyConfigured("SERVICE_CESSATION_WIND_DOWN_DAYS cannot be negative")

# --- i18n, static, logging -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The console's design system and vendored browser libraries (static/vendor/: no CDN).
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (avatars, seal images, import files) are private: served only through views that
# check permissions, stored under a folder per enterprise schema.
MEDIA_ROOT = env("MEDIA_ROOT", default=str(DATA_DIR / "media"))
# Request limits (config.request_limits refuses beyond them: 413 / 400, never a 500).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # bytes of a body, files of a multipart upload excepted
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # X1: every line is passed through privacy.redaction before it is written.
    "formatters": {"plain": {"()": "privacy.redaction.RedactingFormatter",
                             "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request errors would echo request bodies; our exception handler logs a safe line instead.
        "django.request": {"level": "ERROR", "propagate": True},
        "pgserver": {"level": "WARNING"},
    },
}

# --- e-mail (rights.inbox, incidents) -------------------------------------------------------------
# Development keeps every message as a file in the local mail outbox (.data/mail; nothing leaves);
# production names its SMTP relay with EMAIL_URL (smtp+tls://user:password@host:587). Tests use
# Django's in-memory backend.
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="privacy@localhost")
# --- push notifications (announcements.push; C13) ---------------------------------------------------
# The adapter slot for the vendor's push channel; the local outbox keeps pushes in the enterprise's
# PushOutboxMessage table (nothing leaves). A vendor adapter: a class with
# send(*, person, title, body, link, priority).
PUSH_BACKEND = env("PUSH_BACKEND", default="announcements.push.LocalOutboxBackend")
# An announcement to at most this many people is delivered in the sender's request; a larger one by
# the worker (announcements.tasks.deliver_announcement), in batches.
ANNOUNCEMENT_INLINE_RECIPIENTS = env.int("ANNOUNCEMENT_INLINE_RECIPIENTS", default=200)

# --- one-time codes by SMS (accounts.sms, accounts.verification; R8, X6) ------------------------
# The sending backend: the local outbox (nothing leaves; `manage.py sms_outbox` shows it) unless
# DJANGO_SECURE, where the provider adapter is the default and refuses to start until configured.
SMS_BACKEND = env("SMS_BACKEND", default=(
    "accounts.sms.HttpSmsProviderBackend" if SECURE else "accounts.sms.LocalOutboxBackend"))
SMS_PROVIDER_URL = env("SMS_PROVIDER_URL", default="")
SMS_PROVIDER_KEY_ID = env("SMS_PROVIDER_KEY_ID", default="")
SMS_PROVIDER_SECRET = env("SMS_PROVIDER_SECRET", default="")
SMS_PROVIDER_SIGN_NAME = env("SMS_PROVIDER_SIGN_NAME", default="")
# The provider's approved template id per message kind (accounts.sms.MESSAGE_KINDS).
SMS_PROVIDER_TEMPLATES = {"verification_code": env("SMS_PROVIDER_TEMPLATE_VERIFICATION_CODE", default=""),
                          "invitation": env("SMS_PROVIDER_TEMPLATE_INVITATION", default=""),
                          "incident_notice": env("SMS_PROVIDER_TEMPLATE_INCIDENT_NOTICE", default=""),
                          "incident_guardian_notice": env("SMS_PROVIDER_TEMPLATE_INCIDENT_GUARDIAN_NOTICE",
                                                          default=""),
                          "next_of_kin_update": env("SMS_PROVIDER_TEMPLATE_NEXT_OF_KIN_UPDATE", default=""),
                          "holder_transfer": env("SMS_PROVIDER_TEMPLATE_HOLDER_TRANSFER", default="")}
SMS_PROVIDER_TIMEOUT_SECONDS = env.int("SMS_PROVIDER_TIMEOUT_SECONDS", default=10)
# How long the development outbox keeps a message (it holds one-time codes).
SMS_OUTBOX_RETENTION = timedelta(hours=env.int("SMS_OUTBOX_RETENTION_HOURS", default=24))
# C9: how a transfer to a partner is delivered (consent.transfer_delivery); the local backend
# writes each transfer to a file here.
TRANSFER_DELIVERY_BACKEND = env("TRANSFER_DELIVERY_BACKEND", default="consent.transfer_delivery.LocalOutbox")
TRANSFER_OUTBOX_DIR = env("TRANSFER_OUTBOX_DIR", default=str(DATA_DIR / "transfer-outbox"))
# HMAC key of stored one-time codes (only digests are kept); defaults to one derived from SECRET_KEY.
VERIFICATION_CODE_KEY = env("VERIFICATION_CODE_KEY", default=None) or hashlib.sha256(
    f"verification-code\x00{SECRET_KEY}".encode()).hexdigest()
VERIFICATION_CODE_TTL = timedelta(minutes=env.int("VERIFICATION_CODE_TTL_MINUTES", default=5))
VERIFICATION_MAX_ATTEMPTS = env.int("VERIFICATION_MAX_ATTEMPTS", default=5)
VERIFICATION_RESEND_SECONDS = env.int("VERIFICATION_RESEND_SECONDS", default=60)
VERIFICATION_DAILY_LIMIT = env.int("VERIFICATION_DAILY_LIMIT", default=10)
# Issue 14: how long an activation link (accounts.invitations) works, and how many times one
# address may open or submit activation pages in a quarter of an hour (the path is unauthenticated).
INVITATION_TTL = timedelta(days=env.int("INVITATION_TTL_DAYS", default=7))
ACTIVATION_ATTEMPTS_PER_ADDRESS = env.int("ACTIVATION_ATTEMPTS_PER_ADDRESS", default=30)
# E1: an hour's registration attempts (codes asked for and registrations sent) per client address
# and per mobile number on the platform host (tenants.registration).
REGISTRATION_ATTEMPTS_PER_ADDRESS = env.int("REGISTRATION_ATTEMPTS_PER_ADDRESS", default=20)
REGISTRATION_ATTEMPTS_PER_MOBILE = env.int("REGISTRATION_ATTEMPTS_PER_MOBILE", default=10)

# Token lifetime for the mobile API.
DEVICE_TOKEN_TTL = timedelta(days=env.int("DEVICE_TOKEN_TTL_DAYS", default=30))
AXES_USERNAME_CALLABLE = "accounts.throttling.username_digest"
