"""The example's own ``DATABASE_URL`` parser: the URLs the README and the e2e fixtures use, and mistakes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from e2e_support import EXAMPLE_DIR


@pytest.fixture
def parse(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], dict[str, Any]]:
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    from example_project.database import database_from_url

    return database_from_url


def test_postgres_url(parse: Callable[[str], dict[str, Any]]) -> None:
    database = parse("postgres://app:p%40ss@db.internal:6432/oauth?sslmode=require")
    assert database == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "oauth",
        "USER": "app",
        "PASSWORD": "p@ss",
        "HOST": "db.internal",
        "PORT": "6432",
        "OPTIONS": {"sslmode": "require"},
    }


def test_postgres_url_without_password_or_port(parse: Callable[[str], dict[str, Any]]) -> None:
    database = parse("postgresql://postgres@127.0.0.1/test?options=-c%20search_path%3Dabc")
    assert (database["USER"], database["PASSWORD"], database["PORT"]) == ("postgres", "", "")
    assert database["OPTIONS"] == {"options": "-c search_path=abc"}


def test_sqlite_urls(parse: Callable[[str], dict[str, Any]]) -> None:
    assert parse("sqlite:////srv/app/db.sqlite3")["NAME"] == "/srv/app/db.sqlite3"
    assert parse("sqlite:///db.sqlite3")["NAME"] == "db.sqlite3"
    assert parse("sqlite:///db.sqlite3")["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("mysql://u:secret@h/db", "scheme 'mysql'"),
        ("postgres://u:secret@h:99999/db", "port"),
        ("postgres://u:secret@h:5432/", "names no database"),
        ("sqlite://", "names no SQLite file"),
    ],
)
def test_mistakes_are_explained_without_the_password(
    parse: Callable[[str], dict[str, Any]], url: str, complaint: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=complaint) as raised:
        parse(url)
    assert "secret" not in str(raised.value)
