"""Django settings for the oauth2_django tests; OAUTH2_TEST_DB picks SQLite (default) or PostgreSQL."""

from __future__ import annotations

import os
import tempfile

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ROOT_URLCONF = "tests.urls"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_django",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "oauth2_django.middleware.BearerTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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

_backend = os.environ.get("OAUTH2_TEST_DB", "sqlite")
if _backend == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            # Take the write lock at BEGIN, so concurrent writers queue instead of failing.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
            # A file, not shared-cache memory: threads then contend on real database locks.
            "TEST": {"NAME": os.path.join(tempfile.gettempdir(), f"oauth2_django_tests_{os.getpid()}.sqlite3")},
        }
    }
elif _backend == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "test",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "USER": os.environ.get("PGUSER", "postgres"),
            # Not Django's default "test_test": one database per test process, so runs on a shared server
            # (other suites, several Python versions at once) never drop each other's database.
            "TEST": {"NAME": os.environ.get("OAUTH2_TEST_DB_NAME", f"test_oauth2_django_{os.getpid()}")},
        }
    }
else:
    raise ImproperlyConfigured(f"OAUTH2_TEST_DB must be 'sqlite' or 'postgres', not {_backend!r}")

# The tests exercise the flow, not the hasher's cost.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

OAUTH2_SERVER = {
    "GRANTS": ["password", "refresh_token"],
    "DEFAULT_SCOPE": "read",
}
