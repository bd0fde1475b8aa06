"""The aws_identity grant: a workload proves its AWS identity with a signed STS GetCallerIdentity request.

The client signs ``POST /`` with body ``Action=GetCallerIdentity&Version=2011-06-15``
for STS in ``region`` and sends us the body and headers instead of STS. We
check everything we can without I/O (:meth:`AwsIdentityGrant.parse_token_request`),
then the clock, the replay memory and the challenge nonce, replay the request
to STS, and map the identity STS confirms to a client and user through the
host. No client authentication: the identity mapping names the client.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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
from oauth2_core.errors import ConfigurationError, InvalidGrant, InvalidRequest, InvalidScope
from oauth2_core.facade import Hooks
from oauth2_core.grant import parse_scope
from oauth2_core.tokens import digest
from oauth2_grant_aws_identity import hookspecs
from oauth2_grant_aws_identity.arn import AwsIdentity, parse_caller_arn
from oauth2_grant_aws_identity.binding import AwsBinding
from oauth2_grant_aws_identity.headers import CheckedHeaders, check_headers
from oauth2_grant_aws_identity.options import OPTIONS_KEY, AwsIdentityOptions
from oauth2_grant_aws_identity.regions import MAX_REGION_LENGTH, StsEndpoint
from oauth2_grant_aws_identity.sts import get_caller_identity

logger = logging.getLogger("oauth2_grant_aws_identity")

GRANT_TYPE = "aws_identity"
#: The only body accepted: the one the client signs. The reversed order is the
#: same request, so clients that build the body from a dict are not refused.
POST_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
_POST_BODIES = frozenset({POST_BODY, "Version=2011-06-15&Action=GetCallerIdentity"})
#: Prefix of replay-memory keys, so a shared cache can hold them beside other data.
REPLAY_KEY_PREFIX = "oauth2:aws_identity:sig:"

REMEMBER_HOOK = "oauth2_aws_identity_remember"
BIND_HOOK = "oauth2_aws_identity_bind"
STORE_NONCE_HOOK = "oauth2_aws_identity_store_nonce"
CONSUME_NONCE_HOOK = "oauth2_aws_identity_consume_nonce"


@dataclass(frozen=True, slots=True)
class AwsIdentityRequest(GrantRequest):
    """A token request whose every client-controlled part passed the local checks."""

    region: str
    endpoint: StsEndpoint
    post_body: str
    headers: CheckedHeaders

    @property
    def replay_key(self) -> str:
        """The replay-memory key: a digest of the signature, which is unique to the signed request."""
        return REPLAY_KEY_PREFIX + digest(self.headers.authorization.signature)


@dataclass(frozen=True, slots=True)
class Challenge:
    """A one-time nonce for challenge mode and the header the client must sign it in."""

    nonce: str
    expires_in: int
    header: str

    def as_dict(self) -> dict[str, object]:
        return {"nonce": self.nonce, "expires_in": self.expires_in, "header": self.header}


class AwsHostHooks:
    """Typed calls to the grant's host hooks; the only code that calls them."""

    __slots__ = ("_relay",)

    def __init__(self, hooks: Hooks) -> None:
        self._relay = hooks.relay

    def remember(self, key: str, ttl: int) -> bool:
        return self._relay.oauth2_aws_identity_remember(key=key, ttl=ttl) is True

    def bind(self, identity: AwsIdentity) -> AwsBinding | None:
        binding = self._relay.oauth2_aws_identity_bind(identity=identity)
        if binding is not None and not isinstance(binding, AwsBinding):
            raise TypeError(f"{BIND_HOOK} must return an AwsBinding or None, not {type(binding).__name__}")
        return binding

    def store_nonce(self, nonce: str, ttl: int) -> None:
        self._relay.oauth2_aws_identity_store_nonce(nonce=nonce, ttl=ttl)

    def consume_nonce(self, nonce: str) -> bool:
        return self._relay.oauth2_aws_identity_consume_nonce(nonce=nonce) is True


class AwsIdentityGrant(Grant):
    """Trade a SigV4-signed STS GetCallerIdentity request for an access token (never a refresh token).

    Build it with :meth:`from_options`, which picks the challenge-mode
    subclass when ``options.challenge`` is set.
    """

    grant_type: ClassVar[str] = GRANT_TYPE
    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("region", max_length=MAX_REGION_LENGTH),
        Parameter("post_body", max_length=64),
        # It carries the signature and any session token: never logged.
        Parameter("headers_json", secret=True, max_length=8192),
        SCOPE,
    )
    client_authentication: ClassVar[ClientAuthentication] = ClientAuthentication.NONE
    required_host_hooks: ClassVar[tuple[str, ...]] = (REMEMBER_HOOK, BIND_HOOK)

    def __init__(self, options: AwsIdentityOptions) -> None:
        if options.challenge and not isinstance(self, ChallengeAwsIdentityGrant):
            raise ConfigurationError("challenge mode needs its nonce hooks: build the grant with from_options()")
        self.options = options

    @classmethod
    def from_options(cls, options: AwsIdentityOptions) -> AwsIdentityGrant:
        return ChallengeAwsIdentityGrant(options) if options.challenge else AwsIdentityGrant(options)

    # -- pure checks -------------------------------------------------------------

    def parse_token_request(self, form: Mapping[str, str]) -> AwsIdentityRequest:
        values = self.read_parameters(form)
        region = values["region"]
        if not self.options.region_allowed(region):
            raise InvalidRequest("region must be an AWS region name, such as us-east-1, that this server accepts")
        post_body = values["post_body"]
        if post_body not in _POST_BODIES:
            raise InvalidRequest(f"post_body must be exactly {POST_BODY}")
        endpoint = self.options.endpoint(region)
        headers = check_headers(
            values["headers_json"], region=region, endpoint=endpoint, post_body=post_body, options=self.options
        )
        return AwsIdentityRequest(
            grant_type=self.grant_type,
            scope=parse_scope(values.get("scope")),
            region=region,
            endpoint=endpoint,
            post_body=post_body,
            headers=headers,
        )

    # -- checks with state and I/O ----------------------------------------------------

    def _check_fresh(self, signed_at: datetime, now: datetime) -> int:
        """Refuse a stale or future-dated request; return how long its signature stays acceptable."""
        skew = self.options.max_clock_skew
        age = (now - signed_at).total_seconds()
        if abs(age) > skew:
            raise InvalidGrant(
                f"X-Amz-Date is more than {skew} seconds away from the server time; sign a new request "
                "(and check the client clock)"
            )
        return max(1, math.ceil(skew - age) + 1)

    def _check_once(self, request: AwsIdentityRequest, ttl: int, hooks: AwsHostHooks) -> None:
        if not hooks.remember(request.replay_key, ttl):
            raise InvalidGrant("this signed request was already used; sign a new one for each token request")

    def validate_token_request(
        self, request: GrantRequest, client: Client | None, context: GrantContext
    ) -> Authorization:
        if not isinstance(request, AwsIdentityRequest):
            raise TypeError("validate_token_request needs the AwsIdentityRequest that parse_token_request returned")
        hooks = AwsHostHooks(context.hooks)
        ttl = self._check_fresh(request.headers.signed_at, context.now)
        self._check_once(request, ttl, hooks)
        caller = get_caller_identity(request.endpoint, request.post_body, request.headers.forwarded, self.options)
        identity = parse_caller_arn(caller.arn, caller.user_id)
        if identity.account != caller.account:
            raise InvalidGrant("the AWS caller identity was refused: its ARN and account do not agree")
        if request.endpoint.partition is not None and identity.partition != request.endpoint.partition:
            raise InvalidGrant("the AWS caller identity was refused: it belongs to another partition than the region")
        binding = hooks.bind(identity)
        if binding is None:
            logger.info("aws identity not bound subject=%s", identity.subject)
            raise InvalidGrant("this AWS identity is not bound to any client on this server")
        if client is not None and client.client_id != binding.client.client_id:
            raise InvalidGrant("this AWS identity is bound to another client than the one that authenticated")
        allowed = binding.scopes & binding.client.scopes
        scope = allowed if request.scope is None else request.scope
        if not scope <= allowed:
            raise InvalidScope("the requested scope exceeds what this AWS identity may be granted")
        logger.info("aws identity accepted subject=%s client_id=%s", identity.subject, binding.client.client_id)
        return Authorization(
            client=binding.client,
            user_id=binding.user_id,
            scope=scope,
            refresh=False,
            lifetime=binding.max_lifetime,
        )

    # -- challenge mode -------------------------------------------------------------------

    def issue_challenge(self, hooks: Hooks) -> Challenge:
        raise ConfigurationError("challenge mode is off: set grant_options['aws_identity']['challenge'] to True")


class ChallengeAwsIdentityGrant(AwsIdentityGrant):
    """The grant in challenge mode: each request must also sign a one-time nonce the server issued."""

    required_host_hooks: ClassVar[tuple[str, ...]] = (REMEMBER_HOOK, BIND_HOOK, STORE_NONCE_HOOK, CONSUME_NONCE_HOOK)

    def _check_once(self, request: AwsIdentityRequest, ttl: int, hooks: AwsHostHooks) -> None:
        super()._check_once(request, ttl, hooks)
        nonce = request.headers.challenge
        if nonce is None or not hooks.consume_nonce(nonce):
            raise InvalidGrant("the challenge nonce is unknown, expired or used; fetch a new challenge")

    def issue_challenge(self, hooks: Hooks) -> Challenge:
        """A new nonce, stored through the host for ``challenge_ttl`` seconds."""
        nonce = secrets.token_urlsafe(32)
        AwsHostHooks(hooks).store_nonce(nonce, self.options.challenge_ttl)
        return Challenge(nonce, self.options.challenge_ttl, self.options.challenge_header)


def options_from_config(config: ServerConfig) -> AwsIdentityOptions:
    """The grant's options from ``config.grant_options['aws_identity']`` (all defaults when absent)."""
    return AwsIdentityOptions.from_mapping(config.grant_options.get(OPTIONS_KEY, {}))


@hookimpl
def oauth2_grant_types(config: ServerConfig) -> Sequence[Grant]:
    return (AwsIdentityGrant.from_options(options_from_config(config)),)


@hookimpl
def oauth2_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)
