"""Settings for kreiswerk: every value comes from the environment.

See docs/configuration.md for the full list. Without any environment the
project runs on one machine: SQLite, files under ``KREISWERK_DATA_DIR`` and a
database-backed job queue.
"""

import base64
import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("KREISWERK_DEBUG", False)
PRODUCTION = env_bool("KREISWERK_PRODUCTION", False)
DATA_DIR = Path(os.environ.get("KREISWERK_DATA_DIR", Path.cwd() / "var")).resolve()


def _local_secrets() -> dict:
    """Development secrets, created once in the data directory.

    Production must set KREISWERK_SECRET_KEY, KREISWERK_KEYS and KREISWERK_INDEX_KEY; a missing
    value there is a configuration error, never a silently generated key.
    """
    path = DATA_DIR / "local-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    values = {
        "secret_key": secrets.token_urlsafe(50),
        "keys": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "index_key": secrets.token_urlsafe(32),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    return values


if PRODUCTION:
    SECRET_KEY = os.environ["KREISWERK_SECRET_KEY"]
    _keys = os.environ["KREISWERK_KEYS"]
    KREISWERK_INDEX_KEY = os.environ["KREISWERK_INDEX_KEY"]
else:
    _local = _local_secrets()
    SECRET_KEY = os.environ.get("KREISWERK_SECRET_KEY", _local["secret_key"])
    _keys = os.environ.get("KREISWERK_KEYS", _local["keys"])
    # Older data directories predate the index key: derive one from their secret.
    KREISWERK_INDEX_KEY = os.environ.get(
        "KREISWERK_INDEX_KEY", _local.get("index_key") or "derived:" + _local["secret_key"]
    )

# The audit chain's MAC key; without it, one is derived from SECRET_KEY (see docs/audit.md).
KREISWERK_AUDIT_KEY = os.environ.get("KREISWERK_AUDIT_KEY", "")

# Key-encryption keys as "id:base64key,id:base64key"; the first one wraps new data.
KREISWERK_KEYS = [tuple(item.split(":", 1)) for item in _keys.split(",") if item.strip()]

ALLOWED_HOSTS = env_list("KREISWERK_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("KREISWERK_CSRF_TRUSTED_ORIGINS")
# Reverse proxies / load balancers (addresses or networks) whose X-Forwarded-For is believed.
KREISWERK_TRUSTED_PROXIES = env_list("KREISWERK_TRUSTED_PROXIES")
KREISWERK_BASE_URL = os.environ.get("KREISWERK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "kreiswerk.tenancy",
    "kreiswerk.accounts",
    "kreiswerk.crypto",
    "kreiswerk.assistants",
    "kreiswerk.submissions",
    "kreiswerk.runner",
    "kreiswerk.cases",
    "kreiswerk.applicant",
    "kreiswerk.archive",
    "kreiswerk.payments",
    "kreiswerk.identity",
    "kreiswerk.handoff",
    "kreiswerk.api",
    "kreiswerk.audit",
    "kreiswerk.operations",
    "kreiswerk.cockpit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kreiswerk.accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "kreiswerk.api.middleware.MethodNotAllowedProblemMiddleware",
]

ROOT_URLCONF = "kreiswerk.urls"
WSGI_APPLICATION = "kreiswerk.wsgi.application"

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
                "csp.context_processors.nonce",
                "kreiswerk.accounts.context_processors.staff_navigation",
                "kreiswerk.identity.context_processors.citizen",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'kreiswerk.sqlite3'}"),
        conn_max_age=env_int("KREISWERK_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the worker write side by side.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    INSTALLED_APPS += ["django_rq"]
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kreiswerk_cache",
        }
    }

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "kreiswerk.identity.oidc.StaffOIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"

AXES_FAILURE_LIMIT = env_int("KREISWERK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("KREISWERK_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True

OTP_TOTP_ISSUER = os.environ.get("KREISWERK_OTP_ISSUER", "kreiswerk")

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KREISWERK_TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded files are encrypted and kept outside any web root; never served directly.
KREISWERK_FILES_DIR = Path(os.environ.get("KREISWERK_FILES_DIR", DATA_DIR / "files")).resolve()
MEDIA_ROOT = KREISWERK_FILES_DIR

# Uploads: one file at most this size unless an assistant sets less.
KREISWERK_MAX_UPLOAD_MB = env_int("KREISWERK_MAX_UPLOAD_MB", 20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_TEMP_DIR = None
FILE_UPLOAD_HANDLERS = [
    "kreiswerk.submissions.uploads.LimitedUploadHandler",
]
# ClamAV: "unix:///run/clamav/clamd.ctl" or "tcp://127.0.0.1:3310"; empty disables scanning.
KREISWERK_CLAMD_URL = os.environ.get("KREISWERK_CLAMD_URL", "")
KREISWERK_CLAMD_TIMEOUT = env_int("KREISWERK_CLAMD_TIMEOUT", 30)

# Aussonderung: hand-over packages for the archive are written here (plaintext: keep it private).
KREISWERK_ARCHIVE_OUTBOX = Path(os.environ.get("KREISWERK_ARCHIVE_OUTBOX", DATA_DIR / "aussonderung")).resolve()
# The archive named as recipient in the hand-over manifest.
KREISWERK_ARCHIVE_NAME = os.environ.get("KREISWERK_ARCHIVE_NAME", "Kreisarchiv")

# Drafts: how long a saved application may be resumed.
KREISWERK_DRAFT_DAYS = env_int("KREISWERK_DRAFT_DAYS", 30)
# Resume links by e-mail, per clock hour: per draft, per recipient, and per client address
# (an office's terminals share one).
KREISWERK_RESUME_LINKS_PER_DRAFT = env_int("KREISWERK_RESUME_LINKS_PER_DRAFT", 3)
KREISWERK_RESUME_LINKS_PER_RECIPIENT = env_int("KREISWERK_RESUME_LINKS_PER_RECIPIENT", 5)
KREISWERK_RESUME_LINKS_PER_ADDRESS = env_int("KREISWERK_RESUME_LINKS_PER_ADDRESS", 20)
# Hand-off to Fachverfahren: attempts per delivery, the first wait (it doubles, up to an hour),
# and whether plain http is allowed beyond this machine (never in production).
KREISWERK_HANDOFF_MAX_ATTEMPTS = env_int("KREISWERK_HANDOFF_MAX_ATTEMPTS", 30)
KREISWERK_HANDOFF_RETRY_SECONDS = env_int("KREISWERK_HANDOFF_RETRY_SECONDS", 30)
KREISWERK_HANDOFF_ALLOW_HTTP = env_bool("KREISWERK_HANDOFF_ALLOW_HTTP", False)

# Online payment of fees: the provider ("epaybl" for XBezahldienste/ePayBL; empty: none) and its
# service; an application waiting for its fee expires after KREISWERK_PAYMENT_EXPIRY_HOURS.
KREISWERK_PAYMENT_PROVIDER = os.environ.get("KREISWERK_PAYMENT_PROVIDER", "")
KREISWERK_PAYMENT_EXPIRY_HOURS = env_int("KREISWERK_PAYMENT_EXPIRY_HOURS", 72)
# Anyone who knows a payment's address can reload it; each load asks the provider, at most this often.
KREISWERK_PAYMENT_ASKS_PER_MINUTE = env_int("KREISWERK_PAYMENT_ASKS_PER_MINUTE", 6)
_epaybl_url = os.environ.get("KREISWERK_EPAYBL_URL", "").rstrip("/")
KREISWERK_EPAYBL_URL = _epaybl_url + "/" if _epaybl_url else ""
KREISWERK_EPAYBL_TOKEN_URL = os.environ.get("KREISWERK_EPAYBL_TOKEN_URL", "")
KREISWERK_EPAYBL_CLIENT_ID = os.environ.get("KREISWERK_EPAYBL_CLIENT_ID", "")
KREISWERK_EPAYBL_CLIENT_SECRET = os.environ.get("KREISWERK_EPAYBL_CLIENT_SECRET", "")
KREISWERK_EPAYBL_ORIGINATOR_ID = os.environ.get("KREISWERK_EPAYBL_ORIGINATOR_ID", "")
KREISWERK_EPAYBL_ENDPOINT_ID = os.environ.get("KREISWERK_EPAYBL_ENDPOINT_ID", "")
# Where the pay page lives, for the Content Security Policy (default: the origin of KREISWERK_EPAYBL_URL).
KREISWERK_PAYMENT_PAGE_ORIGINS = env_list("KREISWERK_PAYMENT_PAGE_ORIGINS")

# Citizen login with BundID (SAML 2.0): the IdP's metadata file, our key pair (signing and
# decryption; generated in the data directory outside production), our entity id, and the
# AKDB display information. KREISWERK_DEV_IDP switches on the built-in test IdP instead.
KREISWERK_SAML_IDP_METADATA = os.environ.get("KREISWERK_SAML_IDP_METADATA", "")
KREISWERK_SAML_SP_KEY = os.environ.get("KREISWERK_SAML_SP_KEY", "")
KREISWERK_SAML_SP_CERT = os.environ.get("KREISWERK_SAML_SP_CERT", "")
KREISWERK_SAML_ENTITY_ID = os.environ.get("KREISWERK_SAML_ENTITY_ID", "")
KREISWERK_SAML_ORGANIZATION_NAME = os.environ.get("KREISWERK_SAML_ORGANIZATION_NAME", "")
KREISWERK_SAML_ONLINE_SERVICE_ID = os.environ.get("KREISWERK_SAML_ONLINE_SERVICE_ID", "")
KREISWERK_DEV_IDP = env_bool("KREISWERK_DEV_IDP", False)
if PRODUCTION and KREISWERK_DEV_IDP:
    raise ImproperlyConfigured("KREISWERK_DEV_IDP is a test double and cannot be used with KREISWERK_PRODUCTION.")
# Citizen login with OpenID Connect instead (e.g. a Keycloak that brokers BundID): issuer, endpoints
# and client. Set, it takes the place of SAML for "Mit BundID anmelden".
KREISWERK_OIDC_CITIZEN_ISSUER = os.environ.get("KREISWERK_OIDC_CITIZEN_ISSUER", "")
KREISWERK_OIDC_CITIZEN_AUTHORIZATION_ENDPOINT = os.environ.get("KREISWERK_OIDC_CITIZEN_AUTHORIZATION_ENDPOINT", "")
KREISWERK_OIDC_CITIZEN_TOKEN_ENDPOINT = os.environ.get("KREISWERK_OIDC_CITIZEN_TOKEN_ENDPOINT", "")
KREISWERK_OIDC_CITIZEN_USERINFO_ENDPOINT = os.environ.get("KREISWERK_OIDC_CITIZEN_USERINFO_ENDPOINT", "")
KREISWERK_OIDC_CITIZEN_JWKS_ENDPOINT = os.environ.get("KREISWERK_OIDC_CITIZEN_JWKS_ENDPOINT", "")
KREISWERK_OIDC_CITIZEN_CLIENT_ID = os.environ.get("KREISWERK_OIDC_CITIZEN_CLIENT_ID", "")
KREISWERK_OIDC_CITIZEN_CLIENT_SECRET = os.environ.get("KREISWERK_OIDC_CITIZEN_CLIENT_SECRET", "")
KREISWERK_OIDC_CITIZEN_SCOPES = os.environ.get("KREISWERK_OIDC_CITIZEN_SCOPES", "openid profile email address")
# Staff single sign-on (mozilla-django-oidc): the same kind of provider for staff accounts; the
# account is found by KREISWERK_OIDC_STAFF_USERNAME_CLAIM and the second factor is still asked.
OIDC_OP_ISSUER = os.environ.get("KREISWERK_OIDC_STAFF_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("KREISWERK_OIDC_STAFF_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("KREISWERK_OIDC_STAFF_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("KREISWERK_OIDC_STAFF_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("KREISWERK_OIDC_STAFF_JWKS_ENDPOINT", "")
OIDC_RP_CLIENT_ID = os.environ.get("KREISWERK_OIDC_STAFF_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("KREISWERK_OIDC_STAFF_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid profile email"
OIDC_USE_PKCE = True
OIDC_TOKEN_USE_BASIC_AUTH = True
OIDC_CREATE_USER = False
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "staff_sso:oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "/verwaltung/anmelden/?sso=fehlgeschlagen"
KREISWERK_OIDC_STAFF_USERNAME_CLAIM = os.environ.get("KREISWERK_OIDC_STAFF_USERNAME_CLAIM", "preferred_username")

# How long a citizen's login lasts before BundID is asked again.
KREISWERK_CITIZEN_LOGIN_MINUTES = env_int("KREISWERK_CITIZEN_LOGIN_MINUTES", 120)

EMAIL_BACKEND = os.environ.get(
    "KREISWERK_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = os.environ.get("KREISWERK_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("KREISWERK_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("KREISWERK_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KREISWERK_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KREISWERK_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("KREISWERK_FROM_EMAIL", "kreiswerk <noreply@localhost>")

# Sessions: rotated at login (Django does this), idle and absolute limits below.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
KREISWERK_SESSION_IDLE_MINUTES = env_int("KREISWERK_SESSION_IDLE_MINUTES", 30)
KREISWERK_SESSION_ABSOLUTE_HOURS = env_int("KREISWERK_SESSION_ABSOLUTE_HOURS", 10)
SESSION_COOKIE_AGE = KREISWERK_SESSION_ABSOLUTE_HOURS * 3600

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("KREISWERK_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("KREISWERK_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_HOST = os.environ.get("KREISWERK_SSL_HOST") or None
    # Load balancers probe health over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KREISWERK_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
        # Used by pysaml2 to validate responses; it logs every schema it reuses at INFO.
        "xmlschema": {"level": "WARNING"},
        # pysaml2 logs subjects and attributes; our own log line names why a login was refused.
        "saml2": {"level": "CRITICAL"},
    },
}
CSRF_FAILURE_VIEW = "kreiswerk.views.csrf_failure"
