"""Production: safe by default, refuses to start half-configured.

Required: ``SECRET_KEY`` (not the development key, at least 50 characters: it signs sessions
and makes documents' verification codes unforgeable), ``ALLOWED_HOSTS``, ``DATABASE_URL``
(PostgreSQL) and ``REDIS_URL``. HTTPS is assumed: HSTS, secure cookies and the HTTP → HTTPS
redirect are on. Behind a proxy that terminates TLS set ``SECURE_PROXY_SSL_HEADER=1`` (the
proxy must set ``X-Forwarded-Proto``); to serve plain HTTP on a closed network set
``SECURE_SSL_REDIRECT=0`` and ``SECURE_HSTS_SECONDS=0`` (``check --deploy`` then warns).
"""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY

DEBUG = False

_missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")
            if not os.environ.get(name, "").strip()]
if _missing:
    raise ImproperlyConfigured(f"production settings need {', '.join(_missing)}")
if SECRET_KEY == "dev-insecure-key-change-me" or len(SECRET_KEY) < 50 or \
        len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters "
                               "(e.g. python -c \"import secrets; print(secrets.token_urlsafe(50))\")")
if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("production settings need a PostgreSQL DATABASE_URL")
# Never a demo CA in production: each issuing unit's key and certificate are installed under
# SIGNING_DIR (README, "Signed documents"); a unit without one cannot issue.
SIGNING_AUTO_CREATE = os.environ.get("SIGNING_AUTO_CREATE", "0") == "1"
ALLOWED_HOSTS = [host.strip() for host in os.environ["ALLOWED_HOSTS"].split(",") if host.strip()]


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default) == "1"


SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", "1")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
SECURE_HSTS_PRELOAD = _flag("SECURE_HSTS_PRELOAD", "1")
if _flag("SECURE_PROXY_SSL_HEADER", "0"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True

# Static files: collected by bin/serve (collectstatic) into STATIC_ROOT and served by
# WhiteNoise with hashed names (cached for a year) and gzip/brotli variants.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
