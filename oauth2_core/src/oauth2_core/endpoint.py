"""The token endpoint (RFC 6749 3.2, 4.x, 5, 6) as a plain function.

Framework adapters turn their request into a :class:`TokenRequest`, call
:func:`handle_token_request` and copy the :class:`TokenResponse` back out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from oauth2_core.clients import Client, ClientAuthentication, Credentials, presented_credentials
from oauth2_core.context import GrantContext
from oauth2_core.errors import (
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    MethodNotAllowed,
    OAuth2Error,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from oauth2_core.events import EventKind, SecurityEvent
from oauth2_core.form import check_content_type, parse_form
from oauth2_core.grant import Authorization, Grant
from oauth2_core.server import Server
from oauth2_core.tokens import IssuedTokens, new_family_id, new_tokens

NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """The parts of an HTTP request the token endpoint reads."""

    method: str
    content_type: str | None
    authorization: str | None = field(repr=False)
    body: bytes = field(repr=False)
    client_ip: str | None = None


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """Status, headers and an encoded JSON body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)

    def json(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.body)
        return loaded


def error_response(error: OAuth2Error) -> TokenResponse:
    """The RFC 6749 5.2 JSON answer for ``error``."""
    headers = (("Content-Type", "application/json"), *NO_STORE, *error.headers.items())
    return TokenResponse(error.status, headers, json.dumps(error.as_dict()).encode())


def _success(tokens: IssuedTokens) -> TokenResponse:
    body: dict[str, object] = {
        "access_token": tokens.access_token,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
    }
    if tokens.refresh_token is not None:
        body["refresh_token"] = tokens.refresh_token
    if tokens.access.scope:
        body["scope"] = " ".join(sorted(tokens.access.scope))
    headers = (("Content-Type", "application/json"), *NO_STORE)
    return TokenResponse(200, headers, json.dumps(body).encode())


def _authenticate(server: Server, credentials: Credentials | None, grant: Grant, now: datetime) -> Client | None:
    """The client the request speaks for, under the grant's authentication rule."""
    rule = grant.client_authentication
    if credentials is None:
        if rule is ClientAuthentication.NONE:
            return None
        raise InvalidClient("client authentication is required")
    client = server.hooks.find_client(credentials.client_id)
    if client is None:
        raise InvalidClient()
    if credentials.secret:
        if not client.confidential or not client.accepts_secret(credentials.secret, now):
            raise InvalidClient()
        return client
    if client.confidential or rule is ClientAuthentication.REQUIRED:
        raise InvalidClient()
    return client


def mint(server: Server, authorization: Authorization, now: datetime) -> IssuedTokens:
    """New tokens for ``authorization`` under the server's lifetimes; only digests go into the records."""
    config = server.config
    lifetime = config.access_token_lifetime
    if authorization.lifetime is not None:
        lifetime = min(lifetime, authorization.lifetime)
    return new_tokens(
        client_id=authorization.client.client_id,
        user_id=authorization.user_id,
        scope=authorization.scope,
        family_id=authorization.family_id or new_family_id(),
        now=now,
        access_lifetime=lifetime,
        refresh=authorization.refresh,
        refresh_lifetime=config.refresh_token_lifetime,
    )


@dataclass(slots=True)
class _Trace:
    """What is known so far about a request, for the security event. Never client-chosen text."""

    grant_type: str | None = None
    client_id: str | None = None


def _issue(server: Server, request: TokenRequest, trace: _Trace) -> TokenResponse:
    now = server.clock()
    check_content_type(request.content_type)
    form = parse_form(request.body, server.config.max_body_bytes)
    credentials = presented_credentials(request.authorization, form)
    wire_grant_type = form.get("grant_type")
    if wire_grant_type is None:
        raise InvalidRequest("the grant_type parameter is required")
    entry = server.registry.get(wire_grant_type)
    if entry is None:
        raise UnsupportedGrantType("this server does not support that grant_type")
    grant = entry.grant
    trace.grant_type = grant.grant_type
    client = _authenticate(server, credentials, grant, now)
    trace.client_id = client.client_id if client is not None else None
    if client is not None and grant.grant_type not in client.grant_types:
        raise UnauthorizedClient("this client may not use this grant_type")
    parsed = grant.parse_token_request(form)
    context = GrantContext(server.config, server.hooks, now, request.client_ip)
    authorization = grant.validate_token_request(parsed, client, context)
    trace.client_id = authorization.client.client_id
    if grant.grant_type not in authorization.client.grant_types:
        raise UnauthorizedClient("this client may not use this grant_type")
    tokens = mint(server, authorization, now)
    issued = SecurityEvent(
        EventKind.TOKEN_ISSUED,
        grant_type=grant.grant_type,
        client_id=authorization.client.client_id,
        user_id=authorization.user_id,
        token=tokens.access.display,
        client_ip=request.client_ip,
    )
    with server.hooks.transaction():
        if authorization.rotates is None:
            server.hooks.save_tokens(tokens)
            rotated = True
        else:
            rotated = server.hooks.rotate_refresh_token(authorization.rotates, tokens)
        if rotated:
            # Inside the transaction: an observer that fails (say, an audit row that cannot be
            # written) rolls the issuance back, so no token exists that the audit trail lacks.
            server.hooks.observe(issued)
    if not rotated:
        # Lost a race with another use of the same refresh token: that is reuse.
        server.hooks.revoke_family(tokens.access.family_id)
        server.hooks.security_event(
            SecurityEvent(
                EventKind.REFRESH_REUSE,
                grant_type=grant.grant_type,
                client_id=authorization.client.client_id,
                user_id=authorization.user_id,
                reason="concurrent use of one refresh token",
                client_ip=request.client_ip,
            )
        )
        raise InvalidGrant("the refresh token is invalid, expired or revoked")
    # Logged once committed: a log line never reports a token that was rolled back.
    issued.log()
    return _success(tokens)


def handle_token_request(server: Server, request: TokenRequest) -> TokenResponse:
    """Answer one token request; every failure becomes an RFC 6749 5.2 JSON error."""
    trace = _Trace()
    try:
        if request.method.upper() != "POST":
            raise MethodNotAllowed()
        return _issue(server, request, trace)
    except OAuth2Error as error:
        server.hooks.security_event(
            SecurityEvent(
                EventKind.TOKEN_REFUSED,
                grant_type=trace.grant_type,
                client_id=trace.client_id,
                reason=f"{error.error}: {error.description}" if error.description else error.error,
                client_ip=request.client_ip,
            )
        )
        return error_response(error)
