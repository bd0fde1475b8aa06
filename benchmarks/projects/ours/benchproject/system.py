"""How the benchmark drives oauth2-django: its management command and its own issuing path."""

from __future__ import annotations

import io
import json
import secrets
from typing import Any

from benchcommon.fixture import CLIENT_ID, SCOPE
from django.core.management import call_command
from django.utils import timezone

from oauth2_core import Authorization
from oauth2_core.endpoint import mint
from oauth2_core.tokens import ACCESS_TOKEN_PREFIX
from oauth2_django.models import AccessToken
from oauth2_django.server import get_server

NAME = "oauth2-django"
TOKEN_PATH = "/oauth2/access_token"  # noqa: S105 - a URL path, not a secret
#: ``token_required`` answers an unknown token with 401 and an RFC 6750 challenge.
INVALID_TOKEN_STATUS = 401


def create_client(user: Any) -> tuple[str, str]:
    """A confidential client made by ``oauth2_create_client``, which generates the secret and keeps its digest."""
    out = io.StringIO()
    call_command(
        "oauth2_create_client",
        "bench",
        "--client-id",
        CLIENT_ID,
        "--scope",
        SCOPE,
        "--grant-type",
        "password",
        "--grant-type",
        "refresh_token",
        "--owner",
        user.get_username(),
        "--json",
        stdout=out,
    )
    created = json.loads(out.getvalue())
    return created["client_id"], created["client_secret"]


def prepare_refresh_tokens(user: Any, count: int) -> list[str]:
    """Fresh refresh tokens minted and stored by the same code the token endpoint uses."""
    server = get_server()
    client = server.hooks.find_client(CLIENT_ID)
    if client is None:
        raise RuntimeError(f"client {CLIENT_ID!r} is missing: run the setup step (setup_system.py) first")
    authorization = Authorization(client=client, user_id=str(user.pk), scope=frozenset({SCOPE}), refresh=True)
    tokens = []
    for _ in range(count):
        issued = mint(server, authorization, timezone.now())
        with server.hooks.transaction():
            server.hooks.save_tokens(issued)
        if issued.refresh_token is None:
            raise RuntimeError("the minted tokens came without a refresh token; the client must be confidential")
        tokens.append(issued.refresh_token)
    return tokens


def invalid_token() -> str:
    """A well-formed access token (type prefix and 256 random bits) that was never issued."""
    return ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_count() -> int:
    return AccessToken.objects.count()
