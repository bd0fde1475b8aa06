"""Shared pieces of the core's tests: toy grants, a server over the memory host, request helpers.

The toy grants are registered directly as plugin objects, so these tests need
no grant distribution installed. Tests of entry-point discovery install real
throwaway distributions instead (see ``test_plugin_distributions.py``).

The module name is unique across the repository so that several test folders
can share one pytest process.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from oauth2_core import (
    SCOPE,
    Authorization,
    Client,
    ClientAuthentication,
    Grant,
    GrantContext,
    GrantRequest,
    Parameter,
    Server,
    ServerConfig,
    TokenRequest,
    TokenResponse,
    build_server,
    handle_token_request,
    hookimpl,
)
from oauth2_core.errors import InvalidGrant
from oauth2_core.grant import parse_scope
from oauth2_testing.clock import FakeClock
from oauth2_testing.memory import MemoryHost, MemoryTokenStore

ECHO = "urn:example:echo"
#: The only value of the echo grant's secret ``code`` parameter that is accepted.
GOOD_CODE = "open-sesame-7f3a"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class EchoRequest(GrantRequest):
    subject: str
    code: str


class EchoGrant(Grant):
    """Issues a token for ``subject`` when ``code`` is right: just enough grant to drive the endpoint."""

    grant_type = ECHO
    parameters = (Parameter("subject"), Parameter("code", secret=True, max_length=64), SCOPE)
    client_authentication = ClientAuthentication.CONFIDENTIAL

    def parse_token_request(self, form: Mapping[str, str]) -> GrantRequest:
        values = self.read_parameters(form)
        return EchoRequest(self.grant_type, parse_scope(values.get("scope")), values["subject"], values["code"])

    def validate_token_request(
        self, request: GrantRequest, client: Client | None, context: GrantContext
    ) -> Authorization:
        if not isinstance(request, EchoRequest) or client is None:
            raise TypeError("the endpoint passed the wrong request type or no client")
        if request.code != GOOD_CODE:
            raise InvalidGrant("the code is wrong")
        return Authorization(client, request.subject, context.resolve_scope(request.scope, client))


class RequiredAuthEchoGrant(EchoGrant):
    grant_type = "urn:example:echo-required"
    client_authentication = ClientAuthentication.REQUIRED


class SelfAuthEchoGrant(EchoGrant):
    """Finds its client from the ``subject`` parameter, as a federated grant would."""

    grant_type = "urn:example:echo-self"
    client_authentication = ClientAuthentication.NONE

    def validate_token_request(
        self, request: GrantRequest, client: Client | None, context: GrantContext
    ) -> Authorization:
        if not isinstance(request, EchoRequest):
            raise TypeError("the endpoint passed the wrong request type")
        found = context.hooks.find_client(request.subject)
        if found is None or request.code != GOOD_CODE:
            raise InvalidGrant("the subject is unknown or the code is wrong")
        return Authorization(found, None, context.resolve_scope(request.scope, found))


class GrantPlugin:
    """A plugin object declaring the given grants, registered directly (no entry point)."""

    def __init__(self, *grants: Grant) -> None:
        self.grants = grants

    @hookimpl
    def oauth2_grant_types(self, config: ServerConfig) -> list[Grant]:
        return list(self.grants)


ALL_ECHO_GRANT_TYPES = (ECHO, RequiredAuthEchoGrant.grant_type, SelfAuthEchoGrant.grant_type)


@dataclass
class World:
    """A built server with its memory host and store, and helpers to call the endpoint."""

    server: Server
    host: MemoryHost
    store: MemoryTokenStore
    clock: FakeClock

    def post(
        self,
        body: bytes | str | Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        authorization: str | None = None,
        content_type: str | None = FORM,
        method: str = "POST",
    ) -> TokenResponse:
        if not isinstance(body, bytes | str):
            body = urlencode(list(body.items()) if isinstance(body, Mapping) else list(body))
        raw = body.encode() if isinstance(body, str) else body
        return handle_token_request(self.server, TokenRequest(method, content_type, authorization, raw))

    def add_client(self, client_id: str, *, confidential: bool = True, **options: Any) -> str | None:
        options.setdefault("grant_types", ALL_ECHO_GRANT_TYPES)
        return self.host.add_client(client_id, confidential=confidential, **options)


def basic(client_id: str, secret: str) -> str:
    """An RFC 6749 2.3.1 Basic header: each part form-urlencoded, then base64."""
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def echo_form(**extra: str) -> dict[str, str]:
    return {"grant_type": ECHO, "subject": "alice", "code": GOOD_CODE, **extra}


def build_world(*, grants: Iterable[Grant] | None = None, plugins: Iterable[object] = (), **settings: Any) -> World:
    """A server with the echo grants (or ``grants``) over a fresh memory host; ``settings`` are ServerConfig fields."""
    host, store, clock = MemoryHost(), MemoryTokenStore(), FakeClock()
    chosen = (EchoGrant(), RequiredAuthEchoGrant(), SelfAuthEchoGrant()) if grants is None else tuple(grants)
    # grants=(): load no entry point at all, whatever happens to be installed beside the core.
    config = ServerConfig.from_mapping({"grants": (), "plugins": (), **settings})
    server = build_server(config, [host, store, GrantPlugin(*chosen), *plugins], clock=clock)
    return World(server, host, store, clock)
