"""Settings for the local demo: DEBUG on, plain HTTP on loopback, SQLite unless ``DATABASE_URL`` is set.

Not for production: ``settings_prod`` shows the production-like variant that
``manage.py check --deploy`` is run against.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from example_project.database import database_from_url, sqlite_database

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = True

# A fixed key is acceptable only because this file is for a demo on loopback;
# settings_prod refuses to start without DJANGO_SECRET_KEY.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-demo-key-for-local-use-only"

ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "oauth2_django",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After AuthenticationMiddleware, so a bearer token takes over request.user.
    "oauth2_django.middleware.BearerTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

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

_database_url = os.environ.get("DATABASE_URL", "").strip()
DATABASES = {
    "default": database_from_url(_database_url) if _database_url else sqlite_database(BASE_DIR / "db.sqlite3"),
}

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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

OAUTH2_SERVER: dict[str, Any] = {
    # Pin the grants: an installed but unlisted grant stays switched off.
    "GRANTS": ["password", "refresh_token"],
    # Token requests that name no scope get this one.
    "DEFAULT_SCOPE": "read",
    # REQUIRE_HTTPS is left at its default, "on unless DEBUG": plain HTTP works
    # for this DEBUG demo on loopback, and stops working the moment DEBUG is off.
}

# The aws_identity grant, switched on by EXAMPLE_AWS_IDENTITY=1 (and installed
# with pip install ./grants/aws_identity); example/README.md lists the variables.
_aws_identity = os.environ.get("EXAMPLE_AWS_IDENTITY", "").strip()
if _aws_identity not in ("", "0", "1"):
    raise ImproperlyConfigured(f"EXAMPLE_AWS_IDENTITY is {_aws_identity!r}; set it to 1 (on) or 0 (off)")
if _aws_identity == "1":
    _aws_options: dict[str, Any] = {
        # The value clients sign in the X-OAuth2-Server-ID header: it ties their requests to this server.
        "server_id": os.environ.get("EXAMPLE_AWS_SERVER_ID", "").strip() or "http://127.0.0.1:8000",
    }
    _regions = [region.strip() for region in os.environ.get("EXAMPLE_AWS_REGIONS", "").split(",") if region.strip()]
    if _regions:
        _aws_options["allowed_regions"] = _regions
    # For demos and tests only: a local STS such as moto decides who the caller is, instead of AWS.
    _sts_endpoint = os.environ.get("EXAMPLE_AWS_STS_ENDPOINT", "").strip()
    if _sts_endpoint:
        _aws_options["sts_endpoint"] = _sts_endpoint
    OAUTH2_SERVER["GRANTS"].append("aws_identity")
    OAUTH2_SERVER["GRANT_OPTIONS"] = {"aws_identity": _aws_options}

# Show the token endpoint's security events (token issued or refused, refresh
# token reuse) in the console: grant, client, user and a token's display
# prefix, never a token, secret or password.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "oauth2.security": {"handlers": ["console"], "level": "INFO"},
        "oauth2_django": {"handlers": ["console"], "level": "INFO"},
    },
}
