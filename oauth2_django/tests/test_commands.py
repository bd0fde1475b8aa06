"""Management commands: oauth2_plugins, oauth2_create_client, oauth2_clear_tokens."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from importlib import metadata
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oauth2_core.tokens import digest, new_family_id
from oauth2_django.models import AccessToken, Client, RefreshToken, Scope

from .conftest import Registered

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# -- oauth2_plugins ---------------------------------------------------------------------


def _row(output: str, name: str) -> list[str]:
    for line in output.splitlines():
        cells = line.split()
        if len(cells) >= 2 and cells[1] == name:
            return cells
    raise AssertionError(f"{name!r} not listed:\n{output}")


def test_plugins_lists_distribution_version_and_enabled() -> None:
    output = _run("oauth2_plugins")
    assert output.splitlines()[0].split() == ["group", "name", "distribution", "version", "enabled", "grant", "types"]
    row = _row(output, "password")
    assert row[:6] == [
        "oauth2_core.grants",
        "password",
        "oauth2-grant-password",
        metadata.version("oauth2-grant-password"),
        "yes",
        "password",
    ]
    with override_settings(OAUTH2_SERVER={"GRANTS": ["refresh_token"]}):
        assert _row(_run("oauth2_plugins"), "password")[4] == "no"


def test_plugins_reports_a_broken_setup() -> None:
    err = StringIO()
    with override_settings(OAUTH2_SERVER={"GRANTS": ["password", "implicit"]}):
        call_command("oauth2_plugins", stdout=StringIO(), stderr=err)
    assert "'implicit'" in err.getvalue()


# -- oauth2_create_client ---------------------------------------------------------------


def test_create_confidential_client_prints_the_secret_once(user: User) -> None:
    output = _run(
        "oauth2_create_client",
        "Mobile backend",
        "--grant-type",
        "password",
        "--scope",
        "read write",
        "--owner",
        "alice",
    )
    client = Client.objects.get(name="Mobile backend")
    assert f"client_id:     {client.client_id}" in output
    secrets = [line.split()[1] for line in output.splitlines() if line.startswith("client_secret:")]
    assert len(secrets) == 1
    assert client.secrets.get().digest == digest(secrets[0])
    assert client.grant_types == ["password"]
    assert sorted(client.scopes.values_list("name", flat=True)) == ["read", "write"]
    assert client.owner == user
    assert "Created scope(s): read, write" in output


def test_create_client_defaults_and_json(scopes: dict[str, Scope]) -> None:
    result = json.loads(_run("oauth2_create_client", "Script", "--json", "--scope", "read", "--client-id", "script-1"))
    client = Client.objects.get(client_id="script-1")
    assert result["client_id"] == "script-1"
    assert client.secrets.get().digest == digest(result["client_secret"])
    assert result["grant_types"] == client.grant_types == sorted(["password", "refresh_token"])
    assert result["scope"] == "read"


def test_create_public_client_has_no_secret() -> None:
    output = _run("oauth2_create_client", "SPA", "--public", "--grant-type", "password")
    client = Client.objects.get(name="SPA")
    assert client.client_type == "public"
    assert not client.secrets.exists()
    assert "client_secret" not in output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--grant-type", "implicit"], "not an enabled grant type"),
        (["--scope", 'bad"scope'], "--scope"),
        (["--owner", "nobody"], "no user 'nobody'"),
        (["--client-id", "has space"], "client_id"),
    ],
)
def test_create_client_refuses_bad_input(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("oauth2_create_client", "Bad", *arguments, stdout=StringIO())
    assert not Client.objects.exists()


def test_create_client_refuses_a_taken_client_id(registered: Registered) -> None:
    with pytest.raises(CommandError, match="client_id"):
        call_command("oauth2_create_client", "Again", "--client-id", registered.client_id, stdout=StringIO())


# -- oauth2_clear_tokens --------------------------------------------------------------------


def _tokens(registered: Registered, count: int, *, refresh_only: dict[str, Any] | None = None, **fields: Any) -> None:
    now = timezone.now()
    for _ in range(count):
        family = new_family_id()
        values = {"expires_at": now + timedelta(hours=1), **fields}
        AccessToken.objects.create(
            digest=digest(family + "a"), display="o2at_xxxx", client=registered.client, family_id=family, **values
        )
        RefreshToken.objects.create(
            digest=digest(family + "r"),
            display="o2rt_xxxx",
            client=registered.client,
            family_id=family,
            access_digest=digest(family + "a"),
            **{**values, **(refresh_only or {})},
        )


def test_clear_tokens_deletes_expired_and_revoked_in_batches(registered: Registered) -> None:
    now = timezone.now()
    _tokens(registered, 5, expires_at=now - timedelta(seconds=1))
    _tokens(registered, 2, revoked_at=now)
    _tokens(registered, 3)
    # A rotated pair: the access token is revoked, the consumed refresh token is
    # kept, since presenting it again is how reuse is detected.
    _tokens(registered, 1, revoked_at=now, refresh_only={"revoked_at": None, "consumed_at": now})
    with CaptureQueriesContext(connection) as queries:
        output = _run("oauth2_clear_tokens", "--batch-size", "3")
    assert "Deleted 8 access token(s) in 3 batch(es) and 7 refresh token(s) in 3 batch(es)." in output
    assert AccessToken.objects.count() == 3
    assert RefreshToken.objects.count() == 4
    assert not AccessToken.objects.filter(revoked_at__isnull=False).exists()
    assert RefreshToken.objects.filter(consumed_at__isnull=False).count() == 1
    deletes = [query["sql"] for query in queries.captured_queries if query["sql"].upper().startswith("DELETE")]
    assert len(deletes) == 6
    savepoints = [query["sql"] for query in queries.captured_queries if "SAVEPOINT" in query["sql"].upper()]
    assert len(savepoints) >= 6, "each batch runs in its own (nested, under the test) transaction"


def test_clear_tokens_with_nothing_to_do(registered: Registered) -> None:
    _tokens(registered, 2)
    assert "Deleted 0 access token(s) in 0 batch(es) and 0 refresh token(s) in 0 batch(es)." in _run(
        "oauth2_clear_tokens"
    )
    assert AccessToken.objects.count() == 2


def test_clear_tokens_refuses_a_bad_batch_size() -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("oauth2_clear_tokens", "--batch-size", "0")


def test_expired_password_tokens_are_cleared(password_tokens: Callable[..., dict[str, Any]]) -> None:
    password_tokens()
    AccessToken.objects.update(expires_at=timezone.now())
    _run("oauth2_clear_tokens")
    assert not AccessToken.objects.exists()
    assert RefreshToken.objects.count() == 1
