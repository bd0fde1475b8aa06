"""RFC 6749 section 5.2 error responses, plus the configuration error.

Every failure a client can cause is an :class:`OAuth2Error`; the endpoint turns
it into a JSON body. Descriptions are fixed text written by us: they never echo
client input, so they can neither leak a secret nor break the RFC's
``error_description`` character set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# RFC 6749 5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
_DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")


class OAuth2Error(Exception):
    """An error answered to the client as ``{"error": ..., "error_description": ...}``."""

    error = "invalid_request"
    status = 400

    def __init__(
        self,
        description: str = "",
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not _DESCRIPTION.fullmatch(description):
            raise ValueError("error_description must be printable ASCII without '\"' or '\\'")
        super().__init__(description)
        self.description = description
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = dict(headers or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"

    def as_dict(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class InvalidRequest(OAuth2Error):
    error = "invalid_request"


class InvalidClient(OAuth2Error):
    """Client authentication failed; always 401 with a Basic challenge (RFC 6749 5.2)."""

    error = "invalid_client"
    status = 401

    def __init__(self, description: str = "client authentication failed") -> None:
        super().__init__(description, headers={"WWW-Authenticate": 'Basic realm="oauth2"'})


class InvalidGrant(OAuth2Error):
    error = "invalid_grant"


class UnauthorizedClient(OAuth2Error):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuth2Error):
    error = "unsupported_grant_type"


class InvalidScope(OAuth2Error):
    error = "invalid_scope"


class MethodNotAllowed(OAuth2Error):
    """The token endpoint takes POST only (RFC 6749 3.2)."""

    error = "invalid_request"
    status = 405

    def __init__(self) -> None:
        super().__init__("the token endpoint accepts POST only", headers={"Allow": "POST"})


class TemporarilyUnavailable(OAuth2Error):
    """A dependency (database, upstream identity service) is down; retry later."""

    error = "temporarily_unavailable"
    status = 503

    def __init__(self, description: str = "try again later", *, retry_after: int = 5) -> None:
        super().__init__(description, headers={"Retry-After": str(retry_after)})


class TooManyAttempts(OAuth2Error):
    """Too many failed attempts: refused whatever the request holds, until ``Retry-After`` has passed.

    ``invalid_grant`` because the credentials are not accepted right now, with
    status 429 so that HTTP clients and proxies see a rate limit.
    """

    error = "invalid_grant"
    status = 429

    def __init__(
        self, retry_after: int, description: str = "too many failed attempts; wait before trying again"
    ) -> None:
        super().__init__(description, headers={"Retry-After": str(max(1, retry_after))})


class ConfigurationError(Exception):
    """The server is set up wrongly: raised at build time, never answered to a client."""
