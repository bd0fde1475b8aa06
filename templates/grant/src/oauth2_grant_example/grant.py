"""The example grant: a client asks for a short-lived token for itself, naming the lifetime it wants.

It exists to show the shape of a grant plugin (declared parameters, a pure
parser, a validator, the ``oauth2_grant_types`` hook) and is not meant to be
enabled: its grant type lives under ``urn:example:``, the URN namespace
reserved for documentation (RFC 6963).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

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
from oauth2_core.errors import InvalidRequest
from oauth2_core.grant import parse_scope

#: An extension grant is named by an absolute URI (RFC 6749 4.5).
GRANT_TYPE = "urn:example:oauth2:grant-type:short-lived"
#: The longest lifetime, in seconds, a client may ask for.
MAX_LIFETIME = 300
# ASCII digits only: str.isdigit() would also accept other scripts' digits.
_SECONDS = re.compile(r"[0-9]{1,3}")


@dataclass(frozen=True, slots=True)
class ExampleRequest(GrantRequest):
    """A parsed request: the scope asked for and the access-token lifetime in seconds."""

    lifetime: int


class ExampleGrant(Grant):
    """Issue a token to the authenticated client itself (no user), living ``lifetime`` seconds.

    The token's lifetime is the smaller of ``lifetime`` and the server's
    ``access_token_lifetime``; no refresh token goes with it.
    """

    grant_type: ClassVar[str] = GRANT_TYPE
    parameters: ClassVar[tuple[Parameter, ...]] = (Parameter("lifetime", max_length=3), SCOPE)
    # Public clients cannot use it: a token for "the client itself" means nothing without proof of who that is.
    client_authentication: ClassVar[ClientAuthentication] = ClientAuthentication.REQUIRED

    def parse_token_request(self, form: Mapping[str, str]) -> ExampleRequest:
        values = self.read_parameters(form)  # presence, length and control characters, as declared above
        lifetime = values["lifetime"]
        if not _SECONDS.fullmatch(lifetime) or not 1 <= int(lifetime) <= MAX_LIFETIME:
            raise InvalidRequest(f"lifetime must be a whole number of seconds from 1 to {MAX_LIFETIME}")
        return ExampleRequest(
            grant_type=self.grant_type, scope=parse_scope(values.get("scope")), lifetime=int(lifetime)
        )

    def validate_token_request(
        self, request: GrantRequest, client: Client | None, context: GrantContext
    ) -> Authorization:
        if not isinstance(request, ExampleRequest) or client is None:
            # The endpoint authenticates the client for this grant and passes what
            # parse_token_request returned; anything else is a wiring bug.
            raise TypeError("ExampleGrant validates only its own ExampleRequest, for an authenticated client")
        scope = context.resolve_scope(request.scope, client)
        return Authorization(client=client, user_id=None, scope=scope, lifetime=request.lifetime)


@hookimpl
def oauth2_grant_types(config: ServerConfig) -> Sequence[Grant]:
    return (ExampleGrant(),)
