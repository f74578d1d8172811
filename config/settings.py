"""Settings for the alliances service, read from the environment.

Every deployment-specific value comes from an environment variable so the same
code runs on a laptop (SQLite, DEBUG) and in production (PostgreSQL via
``DATABASE_URL``).
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", default=False) and not PRODUCTION

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. In production (DJANGO_ENV=production) set SECRET_KEY to a long random "
            'string, e.g. the output of: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    # A fixed key is fine for local use: nothing it signs leaves the machine.
    SECRET_KEY = "insecure-local-development-key-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set: list the host names the service answers to.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

if PRODUCTION:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "axes",
    "alliances",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before the cached-read middleware, so cached answers carry CORS headers too.
    "alliances.platform.cors.ReadOnlyCorsMiddleware",
    # Outside the cached-read middleware, so cached answers carry the policy too.
    "csp.middleware.CSPMiddleware",
    "alliances.platform.limits.UploadSizeLimitMiddleware",
    "alliances.platform.limits.NulCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database: picks the copy this request reads (a replica or the primary).
    "alliances.platform.replicas.ReadReplicaMiddleware",
    "alliances.platform.unavailable.DatabaseUnavailableMiddleware",
    # Outside the conditional-get middleware, so its 304s carry the hint too.
    "alliances.platform.fastpath.NginxRevalidateMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # Marks answers that alliances.platform.fastpath (config/wsgi.py) may replay.
    "alliances.platform.fastpath.MarkReplayableMiddleware",
    "alliances.platform.response_cache.CachedReadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a flagged (locked-out) sign-in into a 429.
    "axes.middleware.AxesMiddleware",
]

# django-axes sees every sign-in first: once an address or an account has failed
# AXES_FAILURE_LIMIT times, further attempts are refused before the password hash
# is computed (the hash is what makes guessing expensive for everyone's reads).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # each on its own: per address and per account
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "alliances.platform.security.client_ip"
AXES_LOCKOUT_CALLABLE = "alliances.platform.security.lockout_response"
AXES_VERBOSE = False

# How many proxies of ours sit in front of the app and append to X-Forwarded-For.
# 0 (the default): the header is ignored and the peer address is the client, so a
# client cannot pick its own address for the rate and sign-in limits.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Content-Security-Policy (django-csp): nothing inline runs, nothing is loaded from
# elsewhere. The admin, the API docs (Swagger UI, split view) and the browsable API
# work under it; style attributes need 'unsafe-inline' for Swagger UI's widgets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# CORS (alliances/platform/cors.py): public reads of the API and the downloads from any
# origin, without credentials; writes and their preflights get no CORS headers.
CORS_URLS_REGEX = r"^/(api/|downloads(/|\.json|$))"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
# Data-Version (alliances/platform/replicas.py): a browser client may read it and send it back,
# so a page never shows an older version than the one it has seen, whichever replica answers.
CORS_EXPOSE_HEADERS = ["ETag", "Link", "Content-Disposition", "Data-Version"]
CORS_ALLOW_HEADERS = [*default_cors_headers, "data-version"]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

WSGI_APPLICATION = "config.wsgi.application"


def database(url):
    """One DATABASES entry from a URL, with the connection reuse and timeouts every alias shares."""
    config = dj_database_url.parse(
        url,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A connection that broke while the database was away is replaced, not reused.
        conn_health_checks=True,
    )
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Fail fast (then a 503) rather than hang when the database cannot be reached or
        # stops answering: connect_timeout bounds connecting; TCP keepalives and
        # tcp_user_timeout notice a peer that silently drops packets mid-query (no RST
        # ever comes); statement_timeout bounds a query the server is still running.
        db_timeout = int(os.environ.get("DB_CONNECT_TIMEOUT", "3"))
        statement_ms = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "5000"))
        options = config.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", db_timeout)
        options.setdefault("keepalives", 1)
        options.setdefault("keepalives_idle", max(1, db_timeout))
        options.setdefault("keepalives_interval", 1)
        options.setdefault("keepalives_count", 2)
        # Unacknowledged data for longer than a statement may run means the path is dead.
        options.setdefault("tcp_user_timeout", statement_ms)
        options.setdefault("options", f"-c statement_timeout={statement_ms}")
    return config


DATABASES = {"default": database(os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
# Streaming replicas of the primary (alliances/platform/replicas.py): reads go to one of them
# unless the client's own last write or the replica's lag says the primary must answer.
# In tests each mirrors "default", so the suite runs against the one test database.
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    DATABASES[f"replica_{_number}"] = {**database(_url), "TEST": {"MIRROR": "default"}}
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["alliances.platform.replicas.ReplicaRouter"]
# A replica serves a read only if it has replayed all the WAL it received, or its last replayed
# commit is at most this many seconds old (it still lags); else the primary answers.
REPLICA_MAX_LAG = float(os.environ.get("REPLICA_MAX_LAG", "0"))
# After a replica fails, seconds each process reads from the primary before trying it again.
REPLICA_RETRY_SECONDS = float(os.environ.get("REPLICA_RETRY_SECONDS", "5"))

MB = 1024 * 1024
# Byte budgets of the caches of answers, per worker process (README, "Failure modes"). Each is an LRU
# bounded by the bytes it holds; an answer larger than its per-entry cap is not kept (it is computed or
# streamed again each time; its ETag still gives 304s). Keys are the normalised reads of
# alliances/platform/readkey.py, so spelling a request differently does not add entries.
# - the response cache in each process without Redis (with Redis: its local fallback while Redis is down):
RESPONSE_CACHE_MAX_BYTES = int(os.environ.get("RESPONSE_CACHE_MAX_BYTES", str(64 * MB)))
RESPONSE_CACHE_MAX_ENTRY_BYTES = int(os.environ.get("RESPONSE_CACHE_MAX_ENTRY_BYTES", str(8 * MB)))
# - the WSGI fast path's replayed answers (alliances/platform/fastpath.py):
FASTPATH_MAX_BYTES = int(os.environ.get("FASTPATH_MAX_BYTES", str(32 * MB)))
FASTPATH_MAX_ENTRY_BYTES = int(os.environ.get("FASTPATH_MAX_ENTRY_BYTES", str(2 * MB)))
# - the local fallback of the shared cache (throttle counters, the CSV import's previews) while Redis is down:
REDIS_FALLBACK_MAX_BYTES = int(os.environ.get("REDIS_FALLBACK_MAX_BYTES", str(16 * MB)))
RESPONSE_CACHE_SECONDS = int(os.environ.get("RESPONSE_CACHE_SECONDS", "3600"))

# "default" is shared by every worker process (throttle counters): the database
# cache, or Redis when REDIS_URL is set. "responses" holds rendered read
# responses keyed by the data version, so a per-process memory cache is never
# stale; with Redis, workers share it, each entry at most RESPONSE_CACHE_MAX_ENTRY_BYTES
# and kept RESPONSE_CACHE_SECONDS; Redis must run with maxmemory and allkeys-lru.
# Redis fails soft (alliances.platform.cache): each call waits at most REDIS_TIMEOUT
# seconds; after a failure, Redis is skipped for REDIS_RETRY_SECONDS and a local
# in-process cache answers (throttle counters become per process meanwhile).
if os.environ.get("REDIS_URL"):
    _redis_timeout = float(os.environ.get("REDIS_TIMEOUT", "0.25"))
    _redis = {
        "BACKEND": "alliances.platform.cache.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "OPTIONS": {
            "socket_connect_timeout": _redis_timeout,
            "socket_timeout": _redis_timeout,
            "RETRY_SECONDS": float(os.environ.get("REDIS_RETRY_SECONDS", "5")),
            "LOCAL_MAX_BYTES": REDIS_FALLBACK_MAX_BYTES,
        },
    }
    CACHES = {
        "default": _redis,
        "responses": {
            **_redis,
            "KEY_PREFIX": "responses",
            "TIMEOUT": RESPONSE_CACHE_SECONDS,
            "OPTIONS": {
                **_redis["OPTIONS"],
                "MAX_ENTRY_BYTES": RESPONSE_CACHE_MAX_ENTRY_BYTES,
                "LOCAL_MAX_BYTES": RESPONSE_CACHE_MAX_BYTES,
            },
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "alliances_cache"},
        "responses": {
            "BACKEND": "alliances.platform.cache.BoundedLocMemCache",
            "LOCATION": "alliances-responses",
            "TIMEOUT": RESPONSE_CACHE_SECONDS,
            "OPTIONS": {
                "MAX_ENTRIES": 5000,
                "MAX_BYTES": RESPONSE_CACHE_MAX_BYTES,
                "MAX_ENTRY_BYTES": RESPONSE_CACHE_MAX_ENTRY_BYTES,
            },
        },
        # Rate-limit counters per worker process (see alliances/platform/throttling.py).
        "throttle": {"BACKEND": "alliances.platform.throttling.ProcessCounters"},
    }
# Where the rate-limit counters live: shared (Redis) when there is one, else per process.
THROTTLE_CACHE_ALIAS = "throttle" if "throttle" in CACHES else "default"
RESPONSE_CACHE_ALIAS = "responses"
# Cache-Control of public reads for shared caches (alliances/platform/fastpath.py): 0 means
# "public, no-cache" (revalidate by ETag every time, never stale); a few seconds trade freshness for offload.
PUBLIC_CACHE_MAX_AGE = int(os.environ.get("PUBLIC_CACHE_MAX_AGE", "0"))
PUBLIC_CACHE_STALE_WHILE_REVALIDATE = int(os.environ.get("PUBLIC_CACHE_STALE_WHILE_REVALIDATE", "0"))
# Up to this many membership periods, each worker answers the hot reads from an in-memory read model
# (alliances/platform/readmodel.py: measured 9 KB of worker memory and 0.3 ms of build a real period,
# with its citations, once per data version); above it, from SQL, which keeps memory and the first
# read after a write flat at any size. 20,000 covers ten times today's 1,614 periods: ~180 MB a worker.
READ_MODEL_MAX_PERIODS = int(os.environ.get("READ_MODEL_MAX_PERIODS", "20000"))

# Request bodies are small JSON documents; anything larger is refused. Uploaded files
# (the admin's CSV import) have their own cap, enforced before the body is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_REQUEST_BODY_BYTES", str(64 * 1024)))
MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", str(2 * 1024 * 1024)))
DATA_UPLOAD_MAX_NUMBER_FILES = 5

# CSV exports from the admin: a cell a spreadsheet would run as a formula is neutralised.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
# The CSV import's preview keeps the file for the confirm step in the default cache (the
# database's table, or Redis), which every app server shares, under a random name the
# confirm step only accepts from the session that previewed it (alliances/admin/membership.py).
# The default, a file in the temp folder named by the client, let a crafted confirm delete any file.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"

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
STATIC_ROOT = BASE_DIR / "staticfiles"
# Outside production WhiteNoise serves static files straight from the apps (no collectstatic),
# so the admin, the API docs and the public pages are styled with DEBUG off too;
# production serves the hashed, compressed copies `make serve` collects.
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "alliances.platform.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PERMISSION_CLASSES": ["alliances.platform.permissions.ReadAnyoneWriteWithModelPermission"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "alliances.platform.security.BasicAuthentication",
    ],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_RENDERER_CLASSES": [
        "alliances.platform.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "alliances.platform.renderers.CSVRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "alliances.platform.negotiation.FormatFirstContentNegotiation",
    "DEFAULT_PARSER_CLASSES": [
        "alliances.platform.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "alliances.platform.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "alliances.platform.throttling.AnonThrottle",
        "alliances.platform.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "300/minute"),
        "user": os.environ.get("THROTTLE_USER", "1200/minute"),
    },
    # ISO 8601 via date.isoformat(): strftime("%Y") would print year 782 as "782", not "0782".
    "DATE_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "alliances API",
    "DESCRIPTION": (
        "A sourced reference database of international organizations and their member "
        "states, with dated membership periods."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "alliances.choices.OrganizationKind",
        "SourceKindEnum": "alliances.choices.SourceKind",
        "MembershipStatusEnum": "alliances.choices.MembershipStatus",
        "DatePrecisionEnum": "alliances.choices.DatePrecision",
    },
    # The docs page works offline: Swagger UI is served from the sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Errors go to stderr (gunicorn's error log) whatever DEBUG says.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}

# The open data set (manage.py export_dataset, make_release, /downloads/).
DATASET_LICENSE = {
    "name": os.environ.get("DATASET_LICENSE_NAME", "CC-BY-4.0"),
    "path": os.environ.get("DATASET_LICENSE_PATH", "https://creativecommons.org/licenses/by/4.0/"),
    "title": os.environ.get("DATASET_LICENSE_TITLE", "Creative Commons Attribution 4.0"),
}
RELEASES_DIR = Path(os.environ.get("RELEASES_DIR", BASE_DIR / "releases"))
# Whether the Data Package carries the COW dyad-year table (cow_igo_dyadic.csv.gz, a million rows,
# some seconds to write). The test suite turns it off except in the tests of that table.
DATASET_DYADIC = env_bool("DATASET_DYADIC", default=True)
