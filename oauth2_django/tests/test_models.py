"""Models: validation against the enabled grants, secrets stored as digests, no secret in any repr."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings

from oauth2_core.tokens import digest
from oauth2_django.models import AccessToken, Client, ClientSecret, Scope, generate_client_id

from .conftest import Registered

pytestmark = pytest.mark.django_db


def test_tables_are_named_oauth2() -> None:
    for model in (Client, ClientSecret, Scope, AccessToken):
        assert model._meta.db_table.startswith("oauth2_")


def test_client_id_is_generated_and_unique() -> None:
    first = Client.objects.create(name="a")
    second = Client.objects.create(name="b")
    assert first.client_id != second.client_id
    assert len(first.client_id) >= 20


def test_generated_client_ids_are_safe_on_a_command_line() -> None:
    # token_urlsafe ids started with "-" about once in 32 and broke `oauth2_create_client --client-id <id>`.
    ids = {generate_client_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"[A-Za-z0-9]{24}", client_id) for client_id in ids)


def test_add_secret_stores_only_a_digest(registered: Registered) -> None:
    secret, plaintext = registered.client.add_secret(label="ci")
    secret.refresh_from_db()
    assert plaintext.startswith("o2cs_")
    assert secret.digest == digest(plaintext)
    assert plaintext.startswith(secret.display)
    assert len(secret.display) < 12
    for text in (str(secret), repr(secret), str(registered.client), repr(registered.client)):
        assert plaintext not in text
        assert secret.digest not in text
    stored = [value for row in ClientSecret.objects.values_list() for value in row]
    assert plaintext not in stored


@pytest.mark.parametrize(
    ("grant_types", "public", "problem"),
    [
        (["implicit"], False, "not an enabled grant type"),
        ("password", False, "list of grant types"),
        ([1], False, "list of grant types"),
    ],
)
def test_grant_types_validated_against_the_enabled_grants(grant_types: object, public: bool, problem: str) -> None:
    client = Client(name="x", grant_types=grant_types, client_type="public" if public else "confidential")
    with pytest.raises(ValidationError, match=problem):
        client.full_clean()


def test_grant_types_are_deduplicated_and_sorted() -> None:
    client = Client(name="x", grant_types=["refresh_token", "password", "password"])
    client.full_clean()
    assert client.grant_types == ["password", "refresh_token"]


def test_disabling_a_grant_makes_clients_using_it_invalid() -> None:
    client = Client(name="x", grant_types=["password", "refresh_token"])
    with override_settings(OAUTH2_SERVER={"GRANTS": ["password"]}), pytest.raises(ValidationError, match="refresh"):
        client.full_clean()


def test_misconfigured_server_is_a_validation_error_not_a_crash() -> None:
    client = Client(name="x", grant_types=["password"])
    with (
        override_settings(OAUTH2_SERVER={"GRANTS": ["nope"]}),
        pytest.raises(ValidationError, match=r"manage\.py check"),
    ):
        client.full_clean()


def test_scope_names_follow_rfc6749() -> None:
    Scope(name="read:all").full_clean()
    for bad in ("two words", 'quote"', "back\\slash", "caf\u00e9"):
        with pytest.raises(ValidationError):
            Scope(name=bad).full_clean()


def test_token_str_is_the_display_prefix(make_token: Callable[..., str]) -> None:
    plaintext = make_token(scope="read write")
    token = AccessToken.objects.get()
    assert str(token) == f"{plaintext[:9]}..."
    assert plaintext not in repr(token)
    assert token.scopes == frozenset({"read", "write"})


def test_migrations_are_complete() -> None:
    out = StringIO()
    call_command("makemigrations", "oauth2", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
