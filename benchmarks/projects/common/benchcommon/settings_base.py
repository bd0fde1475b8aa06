"""Settings every benchmark project starts from; the driver chooses database and hasher by environment.

``BENCH_DB`` is the SQLite file (or ``postgresql://...`` for the scale part),
``BENCH_HASHER`` is ``default`` (Django's own list, PBKDF2 first) or ``fast``
(MD5 only, to take the key-derivation cost out and leave framework overhead).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

HASHERS = {
    "default": None,
    "fast": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


def database_from_env() -> dict[str, Any]:
    location = os.environ.get("BENCH_DB")
    if not location:
        raise RuntimeError("BENCH_DB is not set: the benchmark driver sets it to a SQLite path or a PostgreSQL URL")
    if location.startswith("postgresql://"):
        parts = urlsplit(location)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.lstrip("/"),
            "USER": parts.username or "postgres",
            "HOST": parts.hostname or "127.0.0.1",
            "PORT": str(parts.port or 5432),
            # Lets the scale part's lock sampler tell the cleanup's connection from the server's.
            "OPTIONS": {"application_name": os.environ.get("BENCH_PG_APPNAME", "oauth2-bench")},
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": location,
        # Gunicorn's two workers write concurrently: take the write lock up front and wait for it
        # instead of failing with "database is locked" when a read transaction upgrades.
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


def base_settings() -> dict[str, Any]:
    """The settings shared by all three projects; each project adds its app, middleware and URLs."""
    hasher = os.environ.get("BENCH_HASHER", "default")
    if hasher not in HASHERS:
        raise RuntimeError(f"BENCH_HASHER={hasher!r} is not one of {sorted(HASHERS)}")
    settings: dict[str, Any] = {
        "DEBUG": False,
        "SECRET_KEY": "benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": ["testserver", "127.0.0.1", "localhost"],
        "INSTALLED_APPS": [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        # Persistent connections, as production deployments run: otherwise every request that touches
        # the database pays for a new connection, a cost the same for all three that hides their own.
        "DATABASES": {"default": {**database_from_env(), "CONN_MAX_AGE": 60}},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "USE_I18N": False,
        "ROOT_URLCONF": "benchproject.urls",
        "WSGI_APPLICATION": "benchproject.wsgi.application",
        # Log records are still created (their cost is part of each system), but none is written out,
        # so one system's chattiness on stderr does not count against it.
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"null": {"class": "logging.NullHandler"}},
            "root": {"handlers": ["null"], "level": "WARNING"},
        },
    }
    if HASHERS[hasher] is not None:
        settings["PASSWORD_HASHERS"] = HASHERS[hasher]
    return settings
