"""The resource owner password credentials grant (RFC 6749 4.3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, cast

import pluggy

from oauth2_core import (
    SCOPE,
    Authorization,
    Client,
    ClientAuthentication,
    Grant,
    GrantContext,
    GrantRequest,
    Parameter,
    ServerConfig,
    hookimpl,
)
from oauth2_core.errors import InvalidGrant
from oauth2_core.grant import parse_scope
from oauth2_grant_password import hookspecs


@dataclass(frozen=True, slots=True)
class PasswordRequest(GrantRequest):
    username: str
    password: str = field(repr=False)


class PasswordGrant(Grant):
    """Trade a username and password for tokens.

    Confidential clients must authenticate and get a refresh token; public
    clients identify themselves by ``client_id`` and get none, since they
    cannot keep one safe.
    """

    grant_type: ClassVar[str] = "password"
    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("username", max_length=256),
        Parameter("password", secret=True, max_length=1024),
        SCOPE,
    )
    client_authentication: ClassVar[ClientAuthentication] = ClientAuthentication.CONFIDENTIAL
    required_host_hooks: ClassVar[tuple[str, ...]] = ("oauth2_password_authenticate",)

    def parse_token_request(self, form: Mapping[str, str]) -> PasswordRequest:
        values = self.read_parameters(form)
        return PasswordRequest(
            grant_type=self.grant_type,
            scope=parse_scope(values.get("scope")),
            username=values["username"],
            password=values["password"],
        )

    def validate_token_request(
        self, request: GrantRequest, client: Client | None, context: GrantContext
    ) -> Authorization:
        assert isinstance(request, PasswordRequest) and client is not None
        scope = context.resolve_scope(request.scope, client)
        user_id = cast(
            "str | None",
            context.hooks.relay.oauth2_password_authenticate(
                username=request.username, password=request.password, client=client
            ),
        )
        if user_id is None:
            raise InvalidGrant("the username or password is incorrect")
        return Authorization(client=client, user_id=user_id, scope=scope, refresh=client.confidential)


@hookimpl
def oauth2_grant_types(config: ServerConfig) -> Sequence[Grant]:
    return (PasswordGrant(),)


@hookimpl
def oauth2_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)
