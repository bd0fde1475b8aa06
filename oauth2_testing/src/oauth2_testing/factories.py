"""Tokens made without a token request, to seed a store or a server in tests.

:func:`issued_tokens` builds records for store tests, with no server at all.
:func:`issue_tokens` mints through the core's own code path and saves through
the server's hooks, for grants (like refresh) that start from tokens some
other grant issued.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from oauth2_core import Authorization, Server
from oauth2_core.endpoint import mint
from oauth2_core.errors import ConfigurationError
from oauth2_core.tokens import IssuedTokens, new_family_id, new_tokens
from oauth2_testing.clock import EPOCH


def issued_tokens(
    *,
    client_id: str = "client",
    user_id: str | None = "1",
    scope: Iterable[str] = ("read",),
    family_id: str | None = None,
    refresh: bool = True,
    now: datetime = EPOCH,
    access_lifetime: int = 3600,
    refresh_lifetime: int | None = 86400,
) -> IssuedTokens:
    """A fresh access token (and refresh token) with their records, minted as the endpoint mints them."""
    return new_tokens(
        client_id=client_id,
        user_id=user_id,
        scope=frozenset(scope),
        family_id=family_id or new_family_id(),
        now=now,
        access_lifetime=access_lifetime,
        refresh=refresh,
        refresh_lifetime=refresh_lifetime,
    )


def issue_tokens(
    server: Server,
    client_id: str,
    *,
    user_id: str | None = "1",
    scope: Iterable[str] = ("read",),
    refresh: bool = True,
) -> IssuedTokens:
    """Mint tokens for a registered client with the server's settings and clock, and store them."""
    client = server.hooks.find_client(client_id)
    if client is None:
        raise ConfigurationError(f"no client {client_id!r} is registered with the server's host; add it first")
    authorization = Authorization(client=client, user_id=user_id, scope=frozenset(scope), refresh=refresh)
    tokens = mint(server, authorization, server.clock())
    with server.hooks.transaction():
        server.hooks.save_tokens(tokens)
    return tokens
