"""What a grant may use while it validates a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from oauth2_core.clients import Client
from oauth2_core.config import ServerConfig
from oauth2_core.errors import InvalidScope
from oauth2_core.facade import Hooks


@dataclass(frozen=True, slots=True)
class GrantContext:
    """The server's services for one request: configuration, hooks, the time, the caller's address."""

    config: ServerConfig
    hooks: Hooks
    now: datetime
    client_ip: str | None = None

    def resolve_scope(self, requested: frozenset[str] | None, client: Client) -> frozenset[str]:
        """The scope to grant a new authorization (RFC 6749 3.3).

        Nothing requested gives the configured default, narrowed to what the
        client may have; asking for more than the client may have is
        ``invalid_scope``.
        """
        if requested is None:
            return self.config.default_scope & client.scopes
        if not requested <= client.scopes:
            raise InvalidScope("the requested scope exceeds what this client may be granted")
        return requested
