"""NumerAI settings, read from the environment.

Two deployment modes share every code path:
- embedded default (no DATABASE_URL / REDIS_URL): SQLite under var/, in-process channel layer and
  cache, Celery tasks and the beat schedule run inside the web process, offline AI guide;
- scaled: PostgreSQL (DATABASE_URL), Redis (REDIS_URL) for the channel layer, cache, rate limits and
  Celery broker, separate Celery worker(s) and one beat.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NUMERAI_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

# --- Secrets --------------------------------------------------------------------------------
INSECURE_SECRET_KEYS = {"", "change-me", "changeme", "django-insecure-change-me", "secret"}
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if SECRET_KEY in INSECURE_SECRET_KEYS or SECRET_KEY.startswith("django-insecure"):
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a long random value when DEBUG is off "
            "(make run generates one under var/)."
        )
    SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key-not-for-production-use"
JWT_SIGNING_KEY = os.environ.get("JWT_SIGNING_KEY") or SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Browser origins allowed to open the WebSocket, besides the server's own host.
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS") or CORS_ALLOWED_ORIGINS

# --- Apps -------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us: no CDN
    "channels",
    "numerai",
    "accounts",
    "readings",
    "chat",
    "realtime",
    "web",
]

MIDDLEWARE = [
    "numerai.middleware.RequestIdMiddleware",
    "numerai.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "numerai.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "numerai.middleware.RateLimitHeadersMiddleware",
]

ROOT_URLCONF = "numerai.urls"
ASGI_APPLICATION = "asgi.application"
AUTH_USER_MODEL = "accounts.User"

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
            ]
        },
    }
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Under ASGI every request runs in its own thread, so persistent per-thread connections
    # would grow without bound; a psycopg pool shares a bounded set of checked connections.
    # With CONN_HEALTH_CHECKS the pool verifies each connection when it is handed out.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with a pool that checks every idle connection once one fails its check.
        DATABASES["default"]["ENGINE"] = "numerai.postgresql"
    DATABASES["default"]["OPTIONS"] = {
        # Parameters bound by the server, so psycopg can prepare a statement that a connection
        # has run twice: PostgreSQL then skips parsing and planning it, which for this project's
        # small queries costs more than running them (0.95 -> 0.48 ms of PostgreSQL's time per
        # statement; docs/performance.md, fix 17).
        # Safe with the pool (prepared statements live on their connection); not with a
        # transaction-mode PgBouncer, which this deployment does not use. A statement then
        # takes at most 65,535 parameters: bulk writes and id lists here go in chunks of at
        # most 10,000.
        "server_side_binding": True,
        "prepare_threshold": 2,
        "pool": {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN", "2")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", "20")),
            "timeout": 10,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "numerai.sqlite3",
            "OPTIONS": {
                # WAL lets the in-process scheduler write while requests read.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, broker ------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
SCALED = bool(REDIS_URL)
REDIS_MAX_CONNECTIONS = int(os.environ.get("REDIS_MAX_CONNECTIONS", "1000"))
# Above channels-redis' 5 s blocking receive, so an idle consumer is never killed by a read timeout.
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "10"))

if SCALED:
    import redis
    from redis.driver_info import DriverInfo

    # redis-py looks its own version up in the installed packages' metadata for every new
    # connection (1.5 ms here, several under load, on the event loop while a pool grows): the
    # same client name and version, resolved once, for every pool (nothing here mutates it).
    REDIS_DRIVER_INFO = DriverInfo(lib_version=redis.__version__)
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
                "CONNECTION_POOL_KWARGS": {"max_connections": REDIS_MAX_CONNECTIONS,
                                           "driver_info": REDIS_DRIVER_INFO},
                "CONNECTION_FACTORY": "numerai.cache.SharedClientConnectionFactory",
            },
            "KEY_PREFIX": "numerai",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": REDIS_MAX_CONNECTIONS,
                        "socket_timeout": REDIS_SOCKET_TIMEOUT,
                        "socket_connect_timeout": 2,
                        "driver_info": REDIS_DRIVER_INFO,
                    }
                ],
                "prefix": "numerai:layer:",
                # Messages for every socket of a process share one Redis key; past `capacity`
                # channels-redis drops them silently (the default, 100, loses fan-out and deltas
                # under load), so the bound is set far above any expected backlog.
                "capacity": int(os.environ.get("CHANNEL_LAYER_CAPACITY", "100000")),
                "expiry": 60,
                "group_expiry": 86400,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 5000, "expiry": 60},
        }
    }

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Without a broker of its own the embedded default runs tasks inline, in-process.
CELERY_TASK_ALWAYS_EAGER = not (os.environ.get("CELERY_BROKER_URL") or REDIS_URL)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "readings-daily-generate-due": {
        "task": "readings.daily_generate_due",
        "schedule": timedelta(minutes=5),
    },
    "accounts-purge-expired-auth-records": {
        "task": "accounts.purge_expired_auth_records",
        "schedule": timedelta(hours=6),
    },
    "realtime-sweep-orphan-replies": {
        "task": "realtime.sweep_orphan_replies",
        "schedule": timedelta(minutes=1),
    },
    "accounts-push-deliveries-resume": {
        "task": "accounts.push_deliveries_resume",
        "schedule": timedelta(minutes=5),
    },
    "accounts-push-deliveries-purge": {
        "task": "accounts.push_deliveries_purge",
        "schedule": timedelta(hours=24),
    },
}
# The embedded default runs the beat schedule on the web server's own event loop.
EMBEDDED_SCHEDULER = env_bool("EMBEDDED_SCHEDULER", not SCALED and CELERY_TASK_ALWAYS_EAGER)

# --- REST API ---------------------------------------------------------------------------------
def env_rate(scope: str, default: str) -> str:
    return os.environ.get(f"RATE_{scope.upper()}", default)


RATES = {
    "auth": env_rate("auth", "10/min"),
    "auth_premium": env_rate("auth_premium", "20/min"),
    "login_account": env_rate("login_account", "5/min"),
    "login_ip": env_rate("login_ip", "20/min"),
    "profile": env_rate("profile", "30/min"),
    "profile_premium": env_rate("profile_premium", "60/min"),
    "numerology": env_rate("numerology", "20/min"),
    "numerology_premium": env_rate("numerology_premium", "100/min"),
    "reading": env_rate("reading", "10/min"),
    "reading_premium": env_rate("reading_premium", "30/min"),
    "chat": env_rate("chat", "20/hour"),
    "ticket": env_rate("ticket", "30/min"),
    "notifications": env_rate("notifications", "30/min"),
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["numerai.api.EnvelopeRenderer"],
    "DEFAULT_PARSER_CLASSES": ["numerai.api.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_RATES": RATES,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "numerai.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "NumerAI API",
    "DESCRIPTION": "Numerology companion backend: accounts, numerology, readings, AI chat. "
    "The real-time WebSocket protocol is documented in docs/protocol.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "numerai.schema.envelope_postprocessing_hook",
    ],
    # The docs page loads Swagger UI from drf-spectacular-sidecar's static files (pinned in
    # requirements.txt), never from a CDN; its init script is a file too (the split view in
    # numerai/urls.py), so the page runs under the default CSP (numerai.middleware).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge image from validator.swagger.io: the page talks to this server only.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Auth -------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCESS_TOKEN_LIFETIME = timedelta(seconds=int(os.environ.get("ACCESS_TOKEN_LIFETIME_S", "3600")))
REFRESH_TOKEN_LIFETIME = timedelta(days=int(os.environ.get("REFRESH_TOKEN_LIFETIME_DAYS", "30")))

# --- Email / SMS ------------------------------------------------------------------------------
# Unset = the console backend of the embedded default, which prints one-time codes to stdout;
# deployments (compose.yaml) default to SMTP, configured by the EMAIL_* variables below.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
# Seconds: an SMTP server that hangs must not hold a request (codes are sent after commit).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "NumerAI <no-reply@numerai.local>")
SMS_BACKEND = os.environ.get("SMS_BACKEND", "accounts.sms.ConsoleSMSBackend")

# --- AI model ---------------------------------------------------------------------------------
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL") or None
OPENAI_MODEL = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")
OPENAI_TIMEOUT = float(os.environ.get("OPENAI_TIMEOUT", "30"))
if OPENAI_API_KEY:
    CHAT_MODEL_BACKEND = "chat.llm.openai.OpenAIChatModel"
    CHAT_MODEL_OPTIONS = {
        "api_key": OPENAI_API_KEY,
        "base_url": OPENAI_BASE_URL,
        "model": OPENAI_MODEL,
        "timeout": OPENAI_TIMEOUT,
    }
else:
    CHAT_MODEL_BACKEND = "chat.llm.offline.OfflineChatModel"
    CHAT_MODEL_OPTIONS = {
        "words_per_second": float(os.environ.get("OFFLINE_GUIDE_WORDS_PER_SECOND", "25"))
    }

# --- Push -------------------------------------------------------------------------------------
FIREBASE_CREDENTIALS_PATH = os.environ.get("FIREBASE_CREDENTIALS_PATH", "")
PUSH_BACKEND = os.environ.get("PUSH_BACKEND") or (
    "accounts.push.fcm.FCMPush"
    if FIREBASE_CREDENTIALS_PATH
    else "accounts.push.console.ConsolePush"
)

# --- HTTP / security --------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool(
    "SECURE_COOKIES", not DEBUG and SECURE_SSL_REDIRECT
)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(256 * 1024)))
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST")
# Proxies in front of the app that append to X-Forwarded-For (1 behind one load balancer); the
# per-IP rate limits count the address the outermost trusted proxy saw (numerai.throttling).
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))

# --- I18N / static ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# WhiteNoise also serves the apps' static files directly, so a bare `daphne asgi:application`
# (no collectstatic) still serves the web client.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Logging: JSON lines with request_id and user_id ------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "numerai.logging.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "timestamp", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING"},
        "celery": {"level": "INFO"},
    },
}

# --- Realtime ---------------------------------------------------------------------------------
WEBSOCKET_AUTH_TIMEOUT_S = float(os.environ.get("WEBSOCKET_AUTH_TIMEOUT_S", "10"))
WEBSOCKET_HEARTBEAT_S = 25
WEBSOCKET_MAX_SOCKETS_PER_USER = int(os.environ.get("WEBSOCKET_MAX_SOCKETS_PER_USER", "10"))
WEBSOCKET_MAX_FRAME_BYTES = 64 * 1024
REALTIME_TICKET_TTL_S = 30
CHAT_MAX_MESSAGE_CHARS = 4000
