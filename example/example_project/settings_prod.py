"""Production-like settings for the example, to show what ``manage.py check --deploy`` asks of a real site.

Use with ``--settings example_project.settings_prod``. They expect HTTPS in
front of Django, a secret key and host names from the environment, and
PostgreSQL through ``DATABASE_URL``. docs/django.md lists what
``check --deploy`` still reports for them and why.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from example_project.settings import *  # noqa: F403
from example_project.settings import OAUTH2_SERVER

DEBUG = False

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "settings_prod needs DJANGO_SECRET_KEY: set it to a long random value, e.g. the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = [host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host.strip()]

OAUTH2_SERVER = {**OAUTH2_SERVER, "REQUIRE_HTTPS": True}

# Failed-password counters, lockouts and one-time values must be shared by every
# worker and incremented atomically, so production uses Redis rather than the
# per-process local-memory cache (oauth2.W030 says why). Needs the redis package.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
}

# Everything reaches Django over HTTPS; plain HTTP is redirected before any
# credential is read.
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 365 * 24 * 3600
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Left off on purpose: preloading is a promise about the whole domain that
# takes months to withdraw, so its owner should make it, not an example.
SECURE_HSTS_PRELOAD = False

# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto header, and only
# if the proxy always sets or strips it; otherwise leave this unset.
if os.environ.get("DJANGO_BEHIND_TLS_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Refusals and refresh-token reuse only; one line per issued token is a lot of log at scale.
    "loggers": {"oauth2.security": {"handlers": ["console"], "level": "WARNING"}},
}
