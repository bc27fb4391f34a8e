"""Quartile settings: one file, read from the environment, parsed strictly.

Every variable is listed in `.env.example` and in the README. With nothing set, the project runs
on a bare machine: SQLite and a filesystem Celery broker under `var/`. `DEBUG=false` is production:
it requires `SECRET_KEY`, `ALLOWED_HOSTS` and `TOKEN_ENCRYPTION_KEYS`, and has no secret defaults.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF

from dashboard.env import (
    SettingsError,
    env_bool,
    env_database,
    env_fernet_keys,
    env_int,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)
# The embedded demo: sandbox X URLs and credentials, a seeded demo owner. Never in production.
DEMO_MODE = env_bool("DEMO_MODE", False)
if DEMO_MODE and not DEBUG:
    raise SettingsError("DEMO_MODE=true is for local demos only and requires DEBUG=true")

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-never-use-in-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
    # A fixed development key so that `make run` keeps its tokens readable across restarts.
    TOKEN_ENCRYPTION_KEYS = env_fernet_keys(
        "TOKEN_ENCRYPTION_KEYS", ["ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZHVjdGk="]
    )
else:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise SettingsError("SECRET_KEY must be at least 50 characters in production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    TOKEN_ENCRYPTION_KEYS = env_fernet_keys("TOKEN_ENCRYPTION_KEYS")

SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "csp",
    "accounts",
    "metrics",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "dashboard.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

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
                "csp.context_processors.nonce",
                "accounts.context_processors.teams",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names a PostgreSQL database.
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'quartile.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # A file, not memory, so that worker processes started by tests see the test database;
    # one per test run, so that two runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        # Web, worker and beat write at once: take the write lock when a transaction starts
        # (a lock upgrade mid-transaction fails at once instead of waiting), and let readers
        # proceed while one writes.
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # PostgreSQL's JIT compiles the dashboard's aggregate queries for longer than they run.
    # Added to what DATABASE_URL's query string set (sslmode=require, options=…), not instead.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(filter(None, (_options.get("options"), "-c jit=off")))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when set, carries the Celery broker and the cache (allauth's login rate limits need
# a real cache shared by every web process).
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "quartile",
        }
    }
else:
    # On disk, not in memory: the site and the worker must share it (a sync's revisions of the
    # cached history and its warmed rankings are written by the worker, read by the site).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email and password only, verified email, rate limits on (its defaults).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# One address per person, the one they signed up and confirmed with: a second, unverified
# address would let anyone squat someone else's (blocking their sign-up, catching their
# password resets and their invitations).
ACCOUNT_MAX_EMAIL_ADDRESSES = 1
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Quartile] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Client IPs come from REMOTE_ADDR unless a proxy count is configured; a spoofed
# X-Forwarded-For then cannot reset the login limits.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Email: the console by default; SMTP when EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Quartile <noreply@quartile.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from finders in DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security headers. Django's defaults already give X-Frame-Options DENY, nosniff,
# Referrer-Policy same-origin and COOP same-origin; production adds HTTPS-only cookies and HSTS.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # Strict would drop the session on the OAuth return from X
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

# X API. Production defaults are X's own URLs; DEMO_MODE points them at the local sandbox.
SANDBOX_URL = env_url("SANDBOX_URL", "http://127.0.0.1:8765", schemes=("http", "https"))
_x_api_default = SANDBOX_URL if DEMO_MODE else "https://api.x.com"
X_API_BASE_URL = env_url("X_API_BASE_URL", _x_api_default, schemes=("http", "https"))
X_AUTHORIZE_URL = env_url(
    "X_AUTHORIZE_URL",
    f"{SANDBOX_URL}/i/oauth2/authorize" if DEMO_MODE else "https://x.com/i/oauth2/authorize",
    schemes=("http", "https"),
)
X_OAUTH1_AUTHORIZE_URL = env_url(
    "X_OAUTH1_AUTHORIZE_URL", f"{X_API_BASE_URL}/oauth/authorize", schemes=("http", "https")
)
X_CLIENT_ID = env_str("X_CLIENT_ID", "quartile-demo-client" if DEMO_MODE else "")
X_CLIENT_SECRET = env_str("X_CLIENT_SECRET", "quartile-demo-client-secret" if DEMO_MODE else "")
X_CONSUMER_KEY = env_str("X_CONSUMER_KEY", "quartile-demo-consumer" if DEMO_MODE else "")
X_CONSUMER_SECRET = env_str(
    "X_CONSUMER_SECRET", "quartile-demo-consumer-secret" if DEMO_MODE else ""
)
# The app's own Bearer Token, for GET /2/usage/tweets only (`x_probe`); the sandbox's in demo.
X_BEARER_TOKEN = env_str("X_BEARER_TOKEN", "quartile-demo-app-bearer-token" if DEMO_MODE else "")
# The X user id of the developer app's owner: its own timeline is billed as Owned Reads
# ($0.001 a Post instead of $0.005, xapi.pricing); every other account pays the full price.
X_APP_OWNER_USER_ID = env_str("X_APP_OWNER_USER_ID", "")
if X_APP_OWNER_USER_ID and not X_APP_OWNER_USER_ID.isdigit():
    raise SettingsError("X_APP_OWNER_USER_ID must be an X user id (digits)")
# The registered callbacks are built from this, never from the request's Host header.
X_CALLBACK_BASE_URL = env_url("X_CALLBACK_BASE_URL", SITE_URL, schemes=("http", "https"))
X_HTTP_TIMEOUT_SECONDS = env_int("X_HTTP_TIMEOUT_SECONDS", 10, minimum=1)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
if not DEBUG:
    # oauthlib refuses plain-http OAuth URLs in production, which would fail only at the first
    # connection: refuse them at start-up. A sandbox on this machine (benchmarks) may use http.
    for _name, _url in (
        ("X_API_BASE_URL", X_API_BASE_URL),
        ("X_AUTHORIZE_URL", X_AUTHORIZE_URL),
        ("X_OAUTH1_AUTHORIZE_URL", X_OAUTH1_AUTHORIZE_URL),
    ):
        if _url.startswith("http://") and urlsplit(_url).hostname not in LOOPBACK_HOSTS:
            raise SettingsError(f"{_name} must be https:// in production, got {_url!r}")
if DEBUG:
    # oauthlib refuses plain-http OAuth URLs unless told otherwise; development and the tests
    # talk to the local sandbox over http. Production (DEBUG=false) keeps the refusal.
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

# Content-Security-Policy (django-csp 4): no inline script anywhere; figures travel as JSON.
_x_authorize_origins = sorted(
    {
        url.split("/", 3)[0] + "//" + url.split("/", 3)[2]
        for url in (X_AUTHORIZE_URL, X_OAUTH1_AUTHORIZE_URL)
    }
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https://pbs.twimg.com", SANDBOX_URL if DEMO_MODE else SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        # Browsers apply form-action to the redirect that follows a POST: the Connect button
        # posts here and is redirected to X's consent page.
        "form-action": [SELF, *_x_authorize_origins],
    }
}

# Celery. JSON only; a task is acknowledged after it ran and put back if its worker dies, so
# every task must be idempotent. The Redis visibility timeout must exceed the hard time limit
# and every countdown, or a message is delivered twice (see tests/dashboard/test_celery_config.py).
CELERY_BROKER_FOLDER = Path(env_str("CELERY_BROKER_FOLDER", str(VAR_DIR / "celery-broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 45,
        # kombu sweeps unacked messages of dead workers every interval x throttle seconds.
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 5,
        "socket_timeout": 10,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    # kombu's filesystem transport, with atomic writes (dashboard/broker.py says why).
    CELERY_BROKER_TRANSPORT = "dashboard.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "out"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "out"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 40
CELERY_TASK_MAX_COUNTDOWN = 30  # no task is ever delayed longer; deferral lives in the database
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 10
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# A sync holds its account for this long, renewed by every page it writes; a sync whose
# worker died is taken over once it runs out. Longer than one page can take: a request, its
# retry after a 401 and the token refresh between them, each bounded by the X timeout.
SYNC_LEASE_SECONDS = env_int("SYNC_LEASE_SECONDS", 45, minimum=1)

# Error reports hide the locals of token-handling code and OAuth query strings.
DEFAULT_EXCEPTION_REPORTER_FILTER = "dashboard.errors.QuartileExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "dashboard.errors.QuartileExceptionReporter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "production": {"()": "django.utils.log.RequireDebugFalse"},
        # Request paths and query strings carry invitation tokens, reset keys and OAuth codes.
        "redact": {"()": "dashboard.log_filters.RedactSecrets"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["production"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {
            "handlers": ["console", "mail_admins"],
            "filters": ["redact"],
            "propagate": False,
        },
        "django.server": {"handlers": ["console"], "filters": ["redact"], "propagate": False},
        # An unknown Host, an oversized body, too many fields: any anonymous client can cause
        # them at will, so they are logged, never mailed (Django's default mails them).
        "django.security": {"handlers": ["console"], "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # They log whole token responses, signed requests and request URLs at DEBUG.
        "requests_oauthlib": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

ADMINS = [("Admin", address) for address in env_list("ADMIN_EMAILS", [])]
