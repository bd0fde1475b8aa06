"""How the benchmark drives django-oauth2: its client records and its own token-creation code."""

from __future__ import annotations

import secrets
from typing import Any

from benchcommon.fixture import CLIENT_ID, CLIENT_SECRET, SCOPE
from django.contrib.auth.hashers import make_password
from provider import constants
from provider.oauth2.models import AccessToken, Client, ClientSecret, Scope
from provider.oauth2.views import AccessTokenView

NAME = "django-oauth2"
TOKEN_PATH = "/oauth2/access_token"  # noqa: S105 - a URL path, not a secret
#: The scope mixin answers a missing or unknown token with 401.
INVALID_TOKEN_STATUS = 401


def create_client(user: Any) -> tuple[str, str]:
    """A confidential client with one hashed secret, as the 5.x admin creates it."""
    Scope.objects.get_or_create(name=SCOPE)
    client = Client.objects.create(
        user=user,
        name="bench",
        url="https://client.example",
        redirect_uri="https://client.example/cb",
        client_id=CLIENT_ID,
        client_type=constants.CONFIDENTIAL,
    )
    # The legacy plaintext column keeps its random default, so authentication goes through the
    # hashed ClientSecret rows like any client set up through the 5.x admin.
    ClientSecret.objects.create(
        client=client,
        secret_prefix=CLIENT_SECRET[:6],
        secret_hash=make_password(CLIENT_SECRET),
    )
    return CLIENT_ID, CLIENT_SECRET


def prepare_refresh_tokens(user: Any, count: int) -> list[str]:
    """Fresh refresh tokens made by django-oauth2's own issuing code (hashed with the active hasher)."""
    client = Client.objects.get(client_id=CLIENT_ID)
    scope = list(Scope.objects.filter(name=SCOPE))
    view = AccessTokenView()
    tokens = []
    for _ in range(count):
        container = view.create_access_token(None, user, scope, client)
        view.create_refresh_token(None, user, scope, container, client)
        tokens.append(container.refresh_token_secret)
    return tokens


def invalid_token() -> str:
    """A well-formed token (40 hex digits, like ``long_token``) that was never issued."""
    return secrets.token_hex(20)


def token_count() -> int:
    return AccessToken.objects.count()
