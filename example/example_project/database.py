"""Turn a ``DATABASE_URL`` into a Django ``DATABASES`` entry, without a third-party parser.

Two forms are understood:

- ``postgres://user:password@host:port/dbname?key=value`` (also ``postgresql://``).
  Query parameters become libpq connection options, e.g.
  ``?options=-c%20search_path%3Dmyschema`` to work inside one schema.
- ``sqlite:////absolute/path.sqlite3`` or ``sqlite:///relative/path.sqlite3``.

Error messages name the part that is wrong but never repeat the URL, since it
may carry a password.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

POSTGRES_SCHEMES = frozenset({"postgres", "postgresql"})

# IMMEDIATE makes a transaction take SQLite's write lock when it starts, so
# two requests never both read and then deadlock upgrading to a write; they
# queue for up to ``timeout`` seconds instead of failing with "database is
# locked". WAL lets readers go on while one request writes.
SQLITE_OPTIONS: dict[str, Any] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL;",
}


def sqlite_database(path: Path | str) -> dict[str, Any]:
    """A SQLite ``DATABASES`` entry tuned for a threaded server."""
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": dict(SQLITE_OPTIONS)}


def _postgres(parts: SplitResult) -> dict[str, Any]:
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL names no database: end it with /<database name>")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("DATABASE_URL has a port that is not a number between 0 and 65535") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),
    }


def database_from_url(url: str) -> dict[str, Any]:
    """The ``DATABASES["default"]`` entry that ``url`` describes."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in POSTGRES_SCHEMES:
        return _postgres(parts)
    if scheme == "sqlite":
        # sqlite:///db.sqlite3 is relative, sqlite:////tmp/db.sqlite3 absolute:
        # the URL path keeps one slash more than the file path.
        path = unquote(parts.path)[1:]
        if not path:
            raise ImproperlyConfigured("DATABASE_URL names no SQLite file: use sqlite:////absolute/path.sqlite3")
        return sqlite_database(path)
    raise ImproperlyConfigured(
        f"DATABASE_URL has the scheme {scheme!r}; use postgres://user@host:port/dbname or sqlite:////path"
    )
