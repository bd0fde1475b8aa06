"""The refresh-token grant (RFC 6749 section 6) with rotation and reuse detection (RFC 9700 4.14.2).

Every successful refresh rotates: the presented refresh token is consumed and
the access token issued with it is revoked, in the same store operation that
saves the new pair, so it can succeed only once per token. Presenting a
consumed token again means two parties hold it; the whole family (every token
descended from the original grant) is revoked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

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
from oauth2_core.errors import InvalidGrant, InvalidScope
from oauth2_core.events import EventKind, SecurityEvent
from oauth2_core.grant import parse_scope
from oauth2_core.tokens import digest
from oauth2_grant_refresh import hookspecs

USER_ACTIVE_HOOK = "oauth2_refresh_user_active"

#: One answer for every refusal, so a caller cannot tell an unknown token from
#: someone else's, an expired one or a revoked one.
INVALID = "the refresh token is invalid, expired or revoked"


@dataclass(frozen=True, slots=True)
class RefreshRequest(GrantRequest):
    refresh_token: str = field(repr=False)


class RefreshTokenGrant(Grant):
    """Trade a refresh token for a new access token and a new refresh token.

    Confidential clients authenticate; a public client that holds a refresh
    token (issued by a grant that gives public clients one) identifies itself
    by ``client_id``, and rotation with reuse detection is what protects its
    tokens (RFC 9700 4.14.2).
    """

    grant_type: ClassVar[str] = "refresh_token"
    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("refresh_token", secret=True, max_length=256),
        SCOPE,
    )
    client_authentication: ClassVar[ClientAuthentication] = ClientAuthentication.CONFIDENTIAL
    required_host_hooks: ClassVar[tuple[str, ...]] = (USER_ACTIVE_HOOK,)

    def parse_token_request(self, form: Mapping[str, str]) -> RefreshRequest:
        values = self.read_parameters(form)
        return RefreshRequest(
            grant_type=self.grant_type,
            scope=parse_scope(values.get("scope")),
            refresh_token=values["refresh_token"],
        )

    def validate_token_request(
        self, request: GrantRequest, client: Client | None, context: GrantContext
    ) -> Authorization:
        if not isinstance(request, RefreshRequest) or client is None:
            # The endpoint always authenticates the client for this grant and
            # passes what parse_token_request returned; anything else is a wiring bug.
            raise TypeError("RefreshTokenGrant validates only its own RefreshRequest, for an identified client")
        record = context.hooks.find_refresh_token(digest(request.refresh_token))
        # Another client's token gets the same answer as an unknown one, and
        # cannot touch that client's family: the caller proved no right to it.
        if record is None or record.client_id != client.client_id:
            raise InvalidGrant(INVALID)
        if record.consumed:
            # Two parties hold this token and we cannot tell which is the thief.
            revoked = context.hooks.revoke_family(record.family_id)
            context.hooks.security_event(
                SecurityEvent(
                    EventKind.REFRESH_REUSE,
                    grant_type=self.grant_type,
                    client_id=client.client_id,
                    user_id=record.user_id,
                    token=record.display,
                    reason=f"family revoked ({revoked} tokens)",
                    client_ip=context.client_ip,
                )
            )
            raise InvalidGrant(INVALID)
        if record.revoked or (record.expires_at is not None and context.now >= record.expires_at):
            raise InvalidGrant(INVALID)
        if record.user_id is not None and not self._user_active(record.user_id, client, context):
            # A deactivated or deleted user keeps no access through tokens issued before.
            raise InvalidGrant(INVALID)
        return Authorization(
            client=client,
            user_id=record.user_id,
            scope=self._scope(request.scope, record.scope, client),
            refresh=True,
            family_id=record.family_id,
            rotates=record.digest,
        )

    @staticmethod
    def _user_active(user_id: str, client: Client, context: GrantContext) -> bool:
        return context.hooks.relay.oauth2_refresh_user_active(user_id=user_id, client=client) is True

    @staticmethod
    def _scope(requested: frozenset[str] | None, original: frozenset[str], client: Client) -> frozenset[str]:
        """RFC 6749 6: the original scope or part of it, and never more than the client may still have."""
        if requested is None:
            return original & client.scopes
        if not requested <= original:
            raise InvalidScope("the requested scope exceeds the scope originally granted")
        if not requested <= client.scopes:
            raise InvalidScope("the requested scope exceeds what this client may be granted")
        return requested


@hookimpl
def oauth2_grant_types(config: ServerConfig) -> Sequence[Grant]:
    return (RefreshTokenGrant(),)


@hookimpl
def oauth2_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)
