"""
Settings for the health pages CMS.

One complete settings module, driven by environment variables (documented in
`.env.example`). Production differs from development only through the
environment: there is no second settings file to drift out of date. A `.env`
file beside `manage.py` is read when present; real environment variables win.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

load_dotenv(BASE_DIR / ".env", override=False)


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable into a list, dropping blanks."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


# --- Core ---------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG is off. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))' "
            "and set it in the environment or in .env (see .env.example)."
        )
    # Development only: a fixed, obviously insecure key so sessions survive restarts.
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public site's own address, used in absolute links (sitemap, feed, JSON-LD, e-mails)
# when there is no request to build them from.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "Clear Pain Health")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Serve static files with whitenoise in development too, so dev matches production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "axes",
    "ckeditor",
    "pgtrigger",
    "django_tasks_db",
    "notifications",
    "references",
    "reviews",
    "figures",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.RejectControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Listed after the CSP middleware so that its response hook runs first and can
    # hand the admin's relaxed policy to it.
    "config.middleware.AdminContentSecurityPolicyMiddleware",
    # Last, as django-axes documents: it turns a lockout flagged during the login view into the
    # lockout page.
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
                "django.template.context_processors.csp",
                "config.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# DATABASE_URL unset or empty means a local SQLite file, so `make run` needs no server.

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
SQLITE_PATH = os.environ.get("DJANGO_SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# When the database cannot be reached, every page answers 503 with this Retry-After (seconds).
OUTAGE_RETRY_AFTER_SECONDS = env_int("OUTAGE_RETRY_AFTER_SECONDS", 30)

# --- Cache --------------------------------------------------------------------------------
# Local memory by default; Redis (Django's built-in backend) when REDIS_URL is set, so that
# several app servers on one PostgreSQL share cache invalidation.

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "healthpages",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "healthpages",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# HTTP caching of public pages (articles.public.http_cache): the longest browsers and shared
# caches may keep one, in seconds (never past the page's next review-status change); 0 makes
# every page `private, no-cache`.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 300)
# Readers' problem reports one article may receive in an hour, from everyone together
# (articles.public.feedback); each sender may send 5 an hour.
PROBLEM_REPORTS_PER_ARTICLE_HOUR = env_int("PROBLEM_REPORTS_PER_ARTICLE_HOUR", 20)
# Browsers cannot be purged: by default they revalidate every public page (a 304 when nothing
# changed), so a withdrawal reaches readers at their next page view. Raise with care.
PUBLIC_BROWSER_CACHE_SECONDS = env_int("PUBLIC_BROWSER_CACHE_SECONDS", 0)
# Shared caches told to purge pages when a publication changes (articles.public.purge), one
# backend per Varnish (deploy/varnish/default.vcl) listed in PUBLIC_CACHE_PURGE_URLS.
PUBLIC_CACHE_PURGE = [
    {"BACKEND": "articles.public.purge.VarnishXkeyBackend", "LOCATION": url}
    for url in env_list("PUBLIC_CACHE_PURGE_URLS")
]

# --- Authentication -----------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Sign-in lockout (django-axes). The axes backend comes first: it refuses a locked-out
# user+address before ModelBackend ever checks the password. It needs the request, which
# Django's login views pass; code that calls authenticate() must pass it too.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Locked per username *and* address together: a password guesser is stopped without letting
# anyone lock a colleague out from every address just by typing their username.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
if AXES_FAILURE_LIMIT < 1 or LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be 1 or more.")
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# Every attempt made while locked restarts the cool-off, so a script that keeps guessing
# stays locked out; a person who waits the full time gets in.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_RESET_ON_SUCCESS = True
# One row per failed attempt (besides the per-client counter), so site admins can see in the
# admin what was tried, when and from where. Passwords are never stored.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Answer 429 with a page in the admin's look instead of axes' bare text.
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
# The client address is REMOTE_ADDR unless DJANGO_BEHIND_PROXY (below) says a trusted proxy
# stands in front; X-Forwarded-For is typed by the client and must not be believed otherwise,
# or a guesser would get a fresh "address" on every attempt.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# --- Internationalisation -----------------------------------------------------------------

# The site's language: "en-gb" prints dates as "31 May 2026", "en-us" as "May 31, 2026"
# (config/formats; public templates use `|date` or `|date:"DATE_FORMAT"`, never a fixed style).
LANGUAGE_CODE = os.environ.get("DJANGO_LANGUAGE_CODE", "en-gb").lower()
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Public pages give dates without the time of day (the stamp's signing time included); 1 adds
# the time to the stamp's "Medically reviewed by ... on <date>, <time>".
PUBLIC_SHOW_TIME = env_bool("PUBLIC_SHOW_TIME", False)

# --- Static and media files ---------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Figure files, named by the SHA-256 of their bytes and served by figures.views (which
    # checks that hash), never straight from MEDIA_URL.
    "figures": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "figures", "base_url": None},
    },
}
# Figure uploads (figures.services): largest file in bytes and in pixels (width × height), and
# the widths made for `srcset`.
FIGURE_MAX_BYTES = env_int("FIGURE_MAX_BYTES", 10 * 1024 * 1024)
FIGURE_MAX_PIXELS = env_int("FIGURE_MAX_PIXELS", 40_000_000)
FIGURE_RENDITION_WIDTHS = (480, 800, 1200)
# Where readers load figure files from: empty for this site itself, or an origin such as
# "https://media.example.org" (a CDN in front of this site's /figures/), which the CSP's img-src
# then allows exactly. Re-render pages after changing it (`manage.py publications_render`).
FIGURES_MEDIA_ORIGIN = os.environ.get("FIGURES_MEDIA_ORIGIN", "").strip().rstrip("/")
if FIGURES_MEDIA_ORIGIN and not re.fullmatch(
    r"https?://[a-z0-9.-]+(:\d+)?", FIGURES_MEDIA_ORIGIN, re.I
):
    raise ImproperlyConfigured(
        "FIGURES_MEDIA_ORIGIN must be an origin such as https://media.example.org (no path)."
    )
# Hashed file names never change, so browsers may keep them for a year.
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0

# --- E-mail -------------------------------------------------------------------------------
# Django 6.1 mailers. The console backend (messages printed) is the default; SMTP options are
# passed only to the SMTP backend.

EMAIL_BACKEND_PATH = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
_mailer = {"BACKEND": EMAIL_BACKEND_PATH}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    _mailer["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
    }
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "editorial@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -----------------------------------------------------------------------------
# HTTPS hardening is on whenever debug is off. DJANGO_HTTPS=0 turns it off for a plain-HTTP
# trial on loopback (`make serve`); never in a real deployment.

HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if env_bool("DJANGO_BEHIND_PROXY", False):
    # Only when a trusted proxy (load balancer) terminates TLS and sets this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The one trusted proxy appends the address it saw to X-Forwarded-For: the right-most
    # entry is the client. Anything left of it was typed by the client, so it is ignored
    # (proxy count 0 picks the last entry; non-strict so a forged prefix does not make the
    # whole header, and with it the real address, be thrown away).
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_ORDER = "left-most"
    AXES_IPWARE_PROXY_COUNT = 0
    IPWARE_STRICT = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content Security Policy (Django's built-in middleware). The public site runs no inline
# script at all; JSON-LD is a data block, which CSP does not execute.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *([FIGURES_MEDIA_ORIGIN] if FIGURES_MEDIA_ORIGIN else [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# The admin hosts CKEditor 4, which injects inline scripts and styles and edits inside an
# iframe. The relaxation applies under ADMIN_URL_PREFIX only (config.middleware).
ADMIN_CSP = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [*SECURE_CSP["img-src"], "blob:"],
    "frame-src": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
}
ADMIN_URL_PREFIX = "/admin/"

# --- Logging ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- CKEditor (admin only) ----------------------------------------------------------------
# The client chose django-ckeditor (CKEditor 4.22.1, unsupported upstream). We keep it inside
# the admin and never trust the HTML it posts: articles sanitise every value with nh3 on save.

SILENCED_SYSTEM_CHECKS = []
CKEDITOR_BASEPATH = STATIC_URL + "ckeditor/ckeditor/"
CKEDITOR_CONFIGS = {
    "health": {
        "toolbar": "Health",
        "toolbar_Health": [
            ["Format"],
            ["Bold", "Italic"],
            ["NumberedList", "BulletedList", "-", "Blockquote"],
            ["Link", "Unlink"],
            ["Table", "Image", "Templates"],
            ["RemoveFormat", "Source"],
            ["Undo", "Redo"],
        ],
        "format_tags": "p;h2;h3;h4",
        "height": 360,
        "width": "100%",
        "removePlugins": "exportpdf",
        # Keep pasted Word markup out: the sanitiser would strip it anyway.
        "pasteFilter": "semantic-content",
        "entities": False,
        "linkShowAdvancedTab": False,
        "linkShowTargetTab": False,
        # Content blocks (articles/content/blocks.py): the "Templates" button inserts them;
        # `rich_text_widget` lets CKEditor's own filter keep their classes.
        "templates": "healthpages",
        "templates_files": [STATIC_URL + "articles/ckeditor_blocks.js"],
        "templates_replaceContent": False,
    },
}

# --- Background tasks: e-mail notifications -----------------------------------------------
# Production: a queue in the database (django-tasks-db), worked through by `manage.py db_worker`
# (run it beside gunicorn; README "Running in production"), so a slow mail server never slows a
# request. With TASKS_IMMEDIATE (the default when DEBUG is on, as in `make run`) each e-mail is
# sent at once, in the request, and no worker is needed.
TASKS_IMMEDIATE = env_bool("TASKS_IMMEDIATE", DEBUG)
TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend"
        if TASKS_IMMEDIATE
        else "django_tasks_db.DatabaseBackend"
    }
}
# A failed send is tried again this many times, NOTIFICATION_RETRY_SECONDS apart, doubling.
NOTIFICATION_RETRIES = env_int("NOTIFICATION_RETRIES", 5)
NOTIFICATION_RETRY_SECONDS = env_int("NOTIFICATION_RETRY_SECONDS", 60)

# --- PubMed (references) ------------------------------------------------------------------

PUBMED_TOOL = os.environ.get("PUBMED_TOOL", "healthpages-cms")
PUBMED_EMAIL = os.environ.get("PUBMED_EMAIL", "")
PUBMED_API_KEY = os.environ.get("PUBMED_API_KEY", "")
PUBMED_TIMEOUT = env_int("PUBMED_TIMEOUT", 10)
# The longest an editor's save may wait for PubMed, in seconds, retries included: shorter than
# the web server's worker timeout (gunicorn's default is 30 s), so the editor always gets the
# "PubMed could not be reached" message and keeps the typed text instead of an error page.
PUBMED_SAVE_DEADLINE = env_int("PUBMED_SAVE_DEADLINE", 8)
# Crossref (a second source of retraction notices, with Retraction Watch): the contact sent for
# its polite pool (PUBMED_EMAIL when empty), and where works are asked.
CROSSREF_MAILTO = os.environ.get("CROSSREF_MAILTO", "")
CROSSREF_WORKS_URL = os.environ.get("CROSSREF_WORKS_URL", "https://api.crossref.org/works/")
# Where EFetch is asked; only tests and a mirror would change it.
PUBMED_EFETCH_URL = os.environ.get(
    "PUBMED_EFETCH_URL", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi"
)

# --- Review policy (reviews) --------------------------------------------------------------

REVIEW_INTERVAL_DAYS = env_int("REVIEW_INTERVAL_DAYS", 365)
# The content checks warn when a page reads above this US school grade (Flesch-Kincaid);
# patient-education guidance asks for about grade 8.
REVIEW_READABILITY_MAX_GRADE = env_int("REVIEW_READABILITY_MAX_GRADE", 8)
REVIEW_DUE_SOON_DAYS = env_int("REVIEW_DUE_SOON_DAYS", 30)
# Days a physician is given for a review request when the editor does not choose a date.
REVIEW_REQUEST_DUE_DAYS = env_int("REVIEW_REQUEST_DUE_DAYS", 7)
# When on, an overdue page is withdrawn from the public site after the grace period instead
# of staying live with a "Review overdue" notice.
REVIEW_WITHDRAW_OVERDUE = env_bool("REVIEW_WITHDRAW_OVERDUE", False)
REVIEW_OVERDUE_GRACE_DAYS = env_int("REVIEW_OVERDUE_GRACE_DAYS", 30)
# Pages brought across with `manage.py import_site` may carry the old site's review lines
# ("Reviewed by X on <date>"): stored as data, never as sign-offs. Off: not shown at all; on:
# shown, marked as before this site's signed reviews (docs/import-site.md).
SHOW_LEGACY_REVIEWS = env_bool("SHOW_LEGACY_REVIEWS", False)
# Passkeys (reviews/passkeys.py): the domain they are bound to and the site's origin, e.g.
# "health.example.org" and "https://health.example.org". Empty: the request's own host, which
# suits development; set both in production so a passkey is never bound to a stray host name.
WEBAUTHN_RP_ID = os.environ.get("WEBAUTHN_RP_ID", "")
WEBAUTHN_ORIGIN = os.environ.get("WEBAUTHN_ORIGIN", "")
# Wrong passwords when signing lock the physician's signing for a while (reviews.services.lockout,
# the only reader; validated by a system check).
SIGNING_FAILURE_LIMIT = env_int("SIGNING_FAILURE_LIMIT", 5)
SIGNING_LOCKOUT_MINUTES = env_int("SIGNING_LOCKOUT_MINUTES", 15)

# --- Signing keys (reviews.keys) ----------------------------------------------------------
# Sign-off records and public attestations are signed with the site's Ed25519 key, held
# outside the database: SIGNING_KEY_FILE (a PEM file, readable by the app only) or SIGNING_KEY
# (the PEM text itself). Rotation: list old public keys in SIGNING_RETIRED_PUBLIC_KEYS_FILE.
# Development (`make run`) creates var/keys/signing-dev.pem, which git ignores.

SIGNING_KEY = os.environ.get("SIGNING_KEY", "")
SIGNING_KEY_FILE = os.environ.get("SIGNING_KEY_FILE", "")
SIGNING_RETIRED_PUBLIC_KEYS_FILE = os.environ.get("SIGNING_RETIRED_PUBLIC_KEYS_FILE", "")
DEV_SIGNING_KEY_FILE = BASE_DIR / "var" / "keys" / "signing-dev.pem"
if not SIGNING_KEY.strip() and not SIGNING_KEY_FILE:
    if not DEBUG:
        raise ImproperlyConfigured(
            "No signing key: SIGNING_KEY_FILE (or SIGNING_KEY) is required when DJANGO_DEBUG "
            "is off. Create a key with `python manage.py signing_key_create PATH`, keep it "
            "outside the database and the repository, and set SIGNING_KEY_FILE=PATH."
        )
    SIGNING_KEY_FILE = str(DEV_SIGNING_KEY_FILE)
elif SIGNING_KEY_FILE and not DEBUG and not Path(SIGNING_KEY_FILE).is_file():
    raise ImproperlyConfigured(f"SIGNING_KEY_FILE names no readable file: {SIGNING_KEY_FILE}")

# The newest signed tree head of the public sign-off log is written here after each signature,
# outside the database: `verify_signoffs` compares the database with it, which is how deleting
# the newest records is caught. Keep it on storage the database's administrators cannot write
# (and, with several servers, shared or collected). Empty turns it off.
SIGNOFF_LOG_HEAD_FILE = os.environ.get(
    "SIGNOFF_LOG_HEAD_FILE", "var/transparency/signoff-log-head.json"
)
if SIGNOFF_LOG_HEAD_FILE and not Path(SIGNOFF_LOG_HEAD_FILE).is_absolute():
    SIGNOFF_LOG_HEAD_FILE = str(BASE_DIR / SIGNOFF_LOG_HEAD_FILE)
