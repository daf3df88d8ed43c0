"""Mesh Portal settings. Everything that differs between a laptop and production is read from the environment.

Defaults give the embedded setup: SQLite under ``var/`` and Celery over kombu's filesystem transport, so the
portal runs with nothing installed but Python. Production sets ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MESH_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Without SECRET_KEY the portal runs with a development key, which `check --deploy` reports.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-development-key-set-SECRET_KEY"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "guardian",
    "axes",
    "django_celery_beat",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "portal",
    "products",
    "governance",
    "glossary",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.outage.DatabaseUnavailableMiddleware",
    "portal.middleware.RefuseControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.request_cache.RequestCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.navigation",
            ],
            # Panels that the catalog's packages add to the product page (apps' own tags are found by APP_DIRS).
            "libraries": {
                "access_tags": "products.access.templatetags.access_tags",
                "quality_tags": "products.quality.templatetags.quality_tags",
                "contract_tags": "products.contracts.templatetags.contract_tags",
            },
        },
    }
]

# --- Database -------------------------------------------------------------------------------------------------
DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'mesh.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", DEFAULT_SQLITE), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; IMMEDIATE avoids lock upgrades that fail mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # A database that is down or hung costs a request a few seconds, never a worker forever: pages and the API
    # answer 503 with Retry-After meanwhile (portal.errors_outage), and the next request after it returns reconnects.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("MESH_DB_CONNECT_TIMEOUT", "3")
    )
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if os.environ.get("DATABASE_TEST_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["DATABASE_TEST_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------------------------------------
# Local passwords (the demo's logins) are on unless MESH_LOCAL_PASSWORDS=0; then people sign in only through the
# identity provider (API tokens keep working: they are checked by knox, not by these backends).
MESH_LOCAL_PASSWORDS = env_bool("MESH_LOCAL_PASSWORDS", True)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    *(["django.contrib.auth.backends.ModelBackend"] if MESH_LOCAL_PASSWORDS else []),
    "guardian.backends.ObjectPermissionBackend",
]

# Sign-in through an OpenID Connect provider (Okta, Entra ID, Keycloak …) with mozilla-django-oidc; off by default.
# The endpoints are the provider's (its /.well-known/openid-configuration lists them); the client is registered
# there with the redirect URI <site>/accounts/oidc/callback/. The group claim is mapped to teams in the admin.
MESH_OIDC_ENABLED = env_bool("MESH_OIDC_ENABLED", False)
MESH_OIDC_GROUPS_CLAIM = os.environ.get("MESH_OIDC_GROUPS_CLAIM", "groups")
MESH_OIDC_PROVIDER_NAME = os.environ.get("MESH_OIDC_PROVIDER_NAME", "your organisation's account")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile groups")
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "").rstrip("/")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", f"{OIDC_OP_ISSUER}/auth")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", f"{OIDC_OP_ISSUER}/token")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", f"{OIDC_OP_ISSUER}/me")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", f"{OIDC_OP_ISSUER}/jwks")
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = False
if MESH_OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.insert(1, "products.teams.oidc.MeshOIDCBackend")
ANONYMOUS_USER_NAME = None  # nothing in the portal is public; guardian keeps no anonymous user
GUARDIAN_RAISE_403 = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes: five wrong passwords for one username from one address lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.views.locked_out"  # the page, or JSON on the API's token endpoint
# Whose address is locked out. MESH_PROXY_COUNT is the number of reverse proxies in front of the portal, each of
# which appends the address it received from to X-Forwarded-For (0: clients connect directly; REMOTE_ADDR is the
# client and X-Forwarded-For is ignored, since anyone can send one). With N proxies the client is the N-th address
# from the right of X-Forwarded-For: what a client writes to the left of it changes nothing. django-ipware counts
# only the proxies listed in the header (the last one is REMOTE_ADDR), hence N - 1. A request that bypassed the
# proxies carries fewer addresses: with one proxy its REMOTE_ADDR counts, with more ipware finds no client address.
MESH_PROXY_COUNT = int(os.environ.get("MESH_PROXY_COUNT", "0"))
if MESH_PROXY_COUNT > 0:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_COUNT = MESH_PROXY_COUNT - 1
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
    AXES_IPWARE_PROXY_COUNT = None
IPWARE_STRICT = False  # more addresses than proxies: the client wrote some; count from the right all the same

# --- Security (production values come from the environment; `check --deploy` passes with DEBUG off) ------------
# TLS usually ends at the proxy in front; set SECURE_SSL_REDIRECT=1 where Django itself should redirect to HTTPS.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy (django-csp): scripts and styles come from the portal's own static files only; no inline
# <script>, style="…" or on…= handlers anywhere in the templates. The API docs pages relax what they need, and only
# there (portal.api.docs).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
    }
}

# --- I18N / static ----------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or env_bool("MESH_PLAIN_STATIC", False)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email (console on a laptop; SMTP via EMAIL_URL-style settings in production) --------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "mesh-portal@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")  # for the file-based backend

# --- REST API ---------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated API call gets 401 with a WWW-Authenticate header.
        "portal.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portal.api.permissions.TokenScopeAllows",  # a read-only API token writes nothing
    ],
    # JSON in; file uploads (CSV imports) declare their own parsers on their action.
    "DEFAULT_PARSER_CLASSES": ["portal.api.parsers.TextJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["portal.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PagePagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "6000/min"},
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
}
# Personal API tokens are django-rest-knox tokens (only a SHA-512 digest is stored), kept in portal.ApiToken, which
# adds a name and the last use to knox's model. Knox's own table is swapped out, so its migrations are not run.
KNOX_TOKEN_MODEL = "portal.ApiToken"  # noqa: S105 - a model name
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_PREFIX": "mpt_",  # tells a personal token from a product's push token ("mpq_") at a glance
    "TOKEN_TTL": None,  # each token carries the expiry its owner chose (portal.services.api_token_create)
    "AUTO_REFRESH": False,
}
MESH_API_TOKENS_PER_USER = int(os.environ.get("MESH_API_TOKENS_PER_USER", "100"))
SPECTACULAR_SETTINGS = {
    "TITLE": "Mesh Portal API",
    "DESCRIPTION": "Data products, governance council, standards, glossary and access requests.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from validator.swagger.io: the docs page loads nothing from outside (Content-Security-Policy).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind"; each choice set gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "OutputPortKindEnum": "products.models.OutputPort.Kind",
        "StandardKindEnum": "governance.models.StandardKind",
        "ProposalKindEnum": "governance.models.Proposal.Kind",
        "TermAliasKindEnum": "glossary.models.TermAlias.Kind",
        "TermRelationKindEnum": "glossary.models.TermRelation.Kind",
        "ConflictFindingKindEnum": "glossary.models.ConflictFinding.Kind",
        "ColumnClassificationEnum": "products.models.SchemaField.Classification",
        "ClearanceKindEnum": "products.access.models.Clearance.Kind",
        "AccessRequestStatusEnum": "products.access.models.AccessRequest.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.add_error_responses",
        "portal.api.schema.declare_text_without_nul",
    ],
}

# --- Celery -----------------------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
# Broker calls made while serving a request wait seconds, not minutes: a broker that is down or hung (port open,
# process stopped) delays work, never a response (``portal.services.task_publish``; the sweeps send it later).
MESH_BROKER_TIMEOUT = float(os.environ.get("MESH_BROKER_TIMEOUT", "1.5"))
MESH_BROKER_REST_SECONDS = float(os.environ.get("MESH_BROKER_REST_SECONDS", "5"))
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "socket_timeout": MESH_BROKER_TIMEOUT,
            "socket_connect_timeout": MESH_BROKER_TIMEOUT,
            "health_check_interval": 10,
            "retry_on_timeout": False,
        }
    )
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "data_folder_in": str(_broker_dir / "queue"),
            "data_folder_out": str(_broker_dir / "queue"),
            "processed_folder": str(_broker_dir / "processed"),
            "control_folder": str(_broker_dir / "control"),
            "store_processed": False,
        }
    )
# Autodiscovery finds ``<app>.tasks``; the jobs of the apps' packages are listed here.
CELERY_IMPORTS = [
    "products.access.tasks",
    "products.quality.tasks",
    "products.contracts.tasks",
    "governance.enforcement.tasks",
]
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = 600
CELERY_TASK_TIME_LIMIT = 900  # must stay below the broker's visibility_timeout (a test asserts it)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishes from workers (a sweep fanning out) retry briefly; requests publish once (task_publish, retry=False).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = MESH_BROKER_TIMEOUT
# One beat sends at a time, however many run (portal.beat: a lease in the database); the others stand by.
CELERY_BEAT_SCHEDULER = "portal.beat:SingleBeatScheduler"
MESH_BEAT_LEASE_SECONDS = int(os.environ.get("MESH_BEAT_LEASE_SECONDS", "30"))
# Fanned-out work (enforcement chunks, quality checks) is leased to a worker (portal.leases): a worker that stops
# answering for MESH_LEASE_SECONDS loses its piece to the once-a-minute sweep; a piece fails after MAX_ATTEMPTS.
MESH_LEASE_SECONDS = int(os.environ.get("MESH_LEASE_SECONDS", "60"))
MESH_LEASE_MAX_ATTEMPTS = int(os.environ.get("MESH_LEASE_MAX_ATTEMPTS", "5"))
MESH_LEASE_REDISPATCH_SECONDS = int(os.environ.get("MESH_LEASE_REDISPATCH_SECONDS", "300"))
# Task modules autodiscovery (``<app>.tasks``) does not find: sub-packages' jobs, under their registered names.
CELERY_TIMEZONE = TIME_ZONE

# --- Logging ----------------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Mesh Portal ------------------------------------------------------------------------------------------------
MESH_URN_PREFIX = os.environ.get("MESH_URN_PREFIX", "urn:mesh")
# Where the portal is reached from outside: links in documents that leave it (ODCS contracts) start with this.
MESH_BASE_URL = os.environ.get("MESH_BASE_URL", "http://127.0.0.1:8000")
# Days of notice consumers get before a breaking change or a retirement, unless the council set a longer one.
# The share of freshness measurements that must find the data as fresh as each product promises.
MESH_FRESHNESS_OBJECTIVE_PERCENT = float(os.environ.get("MESH_FRESHNESS_OBJECTIVE_PERCENT", "99"))
MESH_NOTICE_DAYS = int(os.environ.get("MESH_NOTICE_DAYS", "30"))
# Members of this group review declassifications (with the glossary's stewards) and record clearances.
MESH_DATA_PROTECTION_GROUP = os.environ.get("MESH_DATA_PROTECTION_GROUP", "Data protection")
# Webhooks go to public addresses only; 1 allows receivers on loopback and private networks (portal.outbound).
MESH_WEBHOOK_ALLOW_PRIVATE = env_bool("MESH_WEBHOOK_ALLOW_PRIVATE", False)
# Where people reach the portal: absolute page URLs in agents' answers, and the MCP server's issuer.
MESH_SITE_URL = os.environ.get("MESH_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The MCP server (portal.mcp) at /mcp/: 1 makes every agent read-only (no writing tool, whatever its token);
# each API token may call tools this many times a minute (counted in Django's cache, per server process unless
# CACHES points at a shared cache).
MESH_MCP_READ_ONLY = env_bool("MESH_MCP_READ_ONLY", False)
MESH_MCP_RATE_LIMIT = int(os.environ.get("MESH_MCP_RATE_LIMIT", "120"))
