"""The resource owner password credentials grant (RFC 6749 4.3), with a defence against password guessing."""

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
from oauth2_core.errors import InvalidGrant, TooManyAttempts
from oauth2_core.events import EventKind, SecurityEvent
from oauth2_core.grant import parse_scope
from oauth2_grant_password import hookspecs
from oauth2_grant_password.options import OPTIONS_KEY, PasswordOptions
from oauth2_grant_password.throttle import COUNT_FAILURE_HOOK, LOCK_HOOK, LOCKED_UNTIL_HOOK, Subject, Throttle


@dataclass(frozen=True, slots=True)
class PasswordRequest(GrantRequest):
    username: str
    password: str = field(repr=False)


class PasswordGrant(Grant):
    """Trade a username and password for tokens.

    Confidential clients must authenticate and get a refresh token; public
    clients identify themselves by ``client_id`` and get none, since they
    cannot keep one safe. Failed attempts are counted per username and per
    client address (see :class:`~oauth2_grant_password.options.PasswordOptions`);
    past the limit every attempt is refused with 429 until the lockout ends,
    a correct password included.
    """

    grant_type: ClassVar[str] = "password"
    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("username", max_length=256),
        Parameter("password", secret=True, max_length=1024),
        SCOPE,
    )
    client_authentication: ClassVar[ClientAuthentication] = ClientAuthentication.CONFIDENTIAL
    required_host_hooks: ClassVar[tuple[str, ...]] = (
        "oauth2_password_authenticate",
        LOCKED_UNTIL_HOOK,
        COUNT_FAILURE_HOOK,
        LOCK_HOOK,
    )

    def __init__(self, options: PasswordOptions | None = None) -> None:
        self.options = options or PasswordOptions()

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
        if not isinstance(request, PasswordRequest) or client is None:
            # The endpoint always authenticates the client for this grant and
            # passes what parse_token_request returned; anything else is a wiring bug.
            raise TypeError("PasswordGrant validates only its own PasswordRequest, for an identified client")
        scope = context.resolve_scope(request.scope, client)
        throttle = Throttle(self.options, context.hooks)
        subjects = throttle.subjects(request.username, context.client_ip)
        retry_after = throttle.retry_after(subjects, context.now)
        # Checked even when locked out: the hasher's cost must not tell a lockout, an unknown
        # username and a wrong password apart, and its answer must not end the lockout.
        user_id = cast(
            "str | None",
            context.hooks.relay.oauth2_password_authenticate(
                username=request.username, password=request.password, client=client
            ),
        )
        if retry_after is not None:
            self._report(context, client, f"locked out for {retry_after} more seconds")
            raise TooManyAttempts(retry_after)
        if user_id is None:
            for subject in throttle.record_failure(subjects, context.now):
                self._report(context, client, self._lockout_reason(subject))
            raise InvalidGrant("the username or password is incorrect")
        return Authorization(client=client, user_id=user_id, scope=scope, refresh=client.confidential)

    def _lockout_reason(self, subject: Subject) -> str:
        return (
            f"lockout started: {subject.limit} failed attempts for one {subject.kind} "
            f"within {self.options.failure_window} seconds; locked for {self.options.lockout_seconds} seconds"
        )

    def _report(self, context: GrantContext, client: Client, reason: str) -> None:
        # No username: people type passwords into username fields, and an unknown name has no user id.
        context.hooks.security_event(
            SecurityEvent(
                EventKind.THROTTLED,
                grant_type=self.grant_type,
                client_id=client.client_id,
                reason=reason,
                client_ip=context.client_ip,
            )
        )


def options_from_config(config: ServerConfig) -> PasswordOptions:
    """The grant's options from ``config.grant_options['password']`` (all defaults when absent)."""
    return PasswordOptions.from_mapping(config.grant_options.get(OPTIONS_KEY, {}))


@hookimpl
def oauth2_grant_types(config: ServerConfig) -> Sequence[Grant]:
    return (PasswordGrant(options_from_config(config)),)


@hookimpl
def oauth2_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)
