"""A small grant used to test the kit itself: it trades a ticket for a token.

The kit's tests install it as a throwaway distribution (see ``conftest.py``) so
that its entry point is discovered the way a pip-installed grant's is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
from oauth2_core.errors import InvalidGrant
from oauth2_core.grant import parse_scope

GRANT_TYPE = "urn:example:params:oauth:grant-type:ticket"


@dataclass(frozen=True, slots=True)
class TicketRequest(GrantRequest):
    ticket: str = field(repr=False)
    audience: str | None = None


class TicketGrant(Grant):
    """Accepts any ticket that starts with ``valid-``; confidential clients only."""

    grant_type: ClassVar[str] = GRANT_TYPE
    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("ticket", secret=True, max_length=128),
        Parameter("audience", required=False, max_length=256),
        SCOPE,
    )
    client_authentication: ClassVar[ClientAuthentication] = ClientAuthentication.REQUIRED

    def parse_token_request(self, form: Mapping[str, str]) -> TicketRequest:
        values = self.read_parameters(form)
        return TicketRequest(
            grant_type=self.grant_type,
            scope=parse_scope(values.get("scope")),
            ticket=values["ticket"],
            audience=values.get("audience"),
        )

    def validate_token_request(
        self, request: GrantRequest, client: Client | None, context: GrantContext
    ) -> Authorization:
        if not isinstance(request, TicketRequest) or client is None:
            raise InvalidGrant("the request was not parsed by this grant")
        if not request.ticket.startswith("valid-"):
            raise InvalidGrant("the ticket is not valid")
        return Authorization(client=client, user_id=None, scope=context.resolve_scope(request.scope, client))


@hookimpl
def oauth2_grant_types(config: ServerConfig) -> Sequence[Grant]:
    return (TicketGrant(),)
