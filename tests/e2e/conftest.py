"""Fixtures for the end-to-end tests: a fresh database, the example served on loopback, demo accounts.

``OAUTH2_TEST_DB`` picks the database: ``sqlite`` (the default) is a new file
per run; ``postgres`` is a new schema in the ``test`` database at
127.0.0.1:5432 (``OAUTH2_TEST_POSTGRES_URL`` overrides the server), dropped
afterwards. When PostgreSQL is unreachable the tests that need it fail if
``CI`` is set and are skipped, with the reason in the summary, otherwise.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import Accounts, ClientCredentials, Database, ExampleServer, run_manage, served_example

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"


def _postgres(base_url: str) -> Iterator[Database]:
    import psycopg

    try:
        connection = psycopg.connect(base_url, connect_timeout=5, autocommit=True)
    except psycopg.OperationalError as exc:
        message = (
            f"PostgreSQL is unreachable at {base_url.rpartition('@')[2]} ({type(exc).__name__}); "
            "start it, point OAUTH2_TEST_POSTGRES_URL at one, or run with OAUTH2_TEST_DB=sqlite"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # A schema of its own per run: concurrent runs and the other test suites
    # sharing the `test` database never see each other's tables.
    schema = f"oauth2_e2e_{os.getpid()}_{secrets.token_hex(4)}"
    with connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            separator = "&" if "?" in base_url else "?"
            yield Database("postgres", f"{base_url}{separator}options=-c%20search_path%3D{schema}")
        finally:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The empty database the example is migrated into for this run."""
    kind = os.environ.get("OAUTH2_TEST_DB", "sqlite").strip().lower() or "sqlite"
    if kind == "sqlite":
        path: Path = tmp_path_factory.mktemp("e2e-sqlite") / "example.sqlite3"
        yield Database("sqlite", f"sqlite:///{path}")
    elif kind == "postgres":
        yield from _postgres(os.environ.get("OAUTH2_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    else:
        raise pytest.UsageError(f"OAUTH2_TEST_DB is {kind!r}; set it to sqlite or postgres")


@pytest.fixture(scope="session")
def server(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleServer]:
    """The example project, migrated and served by gunicorn on a free port of 127.0.0.1."""
    with served_example(database, tmp_path_factory.mktemp("e2e-server") / "gunicorn.log") as served:
        yield served


def _create_client(database: Database, name: str, *options: str) -> ClientCredentials:
    output = run_manage(database, "oauth2_create_client", name, "--json", *options).stdout
    created = json.loads(output)
    return ClientCredentials(created["client_id"], created["client_secret"])


@pytest.fixture(scope="session")
def accounts(server: ExampleServer) -> Accounts:
    """A user and three clients, made with the project's own management commands."""
    database = server.database
    username, password = "e2e-user", secrets.token_urlsafe(16)
    # The password goes through the environment, the way createsuperuser takes it without a prompt.
    run_manage(
        database,
        "createsuperuser",
        "--no-input",
        "--username",
        username,
        "--email",
        "e2e@example.com",
        environment={"DJANGO_SUPERUSER_PASSWORD": password},
    )
    scopes = ("--scope", "read", "--scope", "write")
    return Accounts(
        username=username,
        password=password,
        confidential=_create_client(
            database, "e2e confidential", "--grant-type", "password", "--grant-type", "refresh_token", *scopes
        ),
        password_only=_create_client(database, "e2e password only", "--grant-type", "password", *scopes),
        public=_create_client(database, "e2e public", "--public", "--grant-type", "password", "--scope", "read"),
    )
