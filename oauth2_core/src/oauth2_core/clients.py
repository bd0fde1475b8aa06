"""The client as the core sees it, and client authentication (RFC 6749 2.3).

Hosts describe a client with :class:`Client`; the core decides whether the
presented credentials are valid, so every host gets the same rules: HTTP Basic
or body credentials but never both, constant-time digest comparison, expired
secrets refused.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote_plus

from oauth2_core.errors import InvalidClient, InvalidRequest
from oauth2_core.form import CONTROL_CHARACTERS
from oauth2_core.tokens import digest_matches


@dataclass(frozen=True, slots=True)
class ClientSecret:
    """One of a client's secrets: its SHA-256 digest and an optional expiry."""

    digest: str = field(repr=False)
    expires_at: datetime | None = None

    def accepts(self, secret: str, now: datetime) -> bool:
        if self.expires_at is not None and now >= self.expires_at:
            return False
        return digest_matches(secret, self.digest)


@dataclass(frozen=True, slots=True)
class Client:
    """A registered client.

    ``grant_types`` are the wire grant types it may use; ``scopes`` are the
    scopes it may be given. A confidential client has at least one secret; a
    public client has none and can only use grants that do not need one.
    """

    client_id: str
    confidential: bool
    grant_types: frozenset[str]
    scopes: frozenset[str]
    secrets: tuple[ClientSecret, ...] = ()
    name: str = ""

    def accepts_secret(self, secret: str, now: datetime) -> bool:
        # Check every secret so the time taken does not say which one matched.
        results = [candidate.accepts(secret, now) for candidate in self.secrets]
        return any(results)


class ClientAuthentication(enum.Enum):
    """How a grant needs the client to authenticate at the token endpoint."""

    #: Every client must present a valid secret; public clients cannot use the grant.
    REQUIRED = "required"
    #: Confidential clients must authenticate; public clients send their client_id.
    CONFIDENTIAL = "confidential"
    #: The grant establishes the client itself (e.g. from a federated identity).
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the request presented to identify the client."""

    client_id: str
    secret: str | None = field(repr=False)
    via_basic: bool


# RFC 6749 A.1: a client_id is printable text. One with control characters
# cannot be registered, and some databases fail on the lookup itself
# (PostgreSQL refuses NUL in text), so it is refused before any lookup.


def _checked(credentials: Credentials) -> Credentials:
    if CONTROL_CHARACTERS.search(credentials.client_id):
        raise InvalidClient("the client_id contains control characters")
    return credentials


def _basic(header: str) -> Credentials:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise InvalidClient("the Authorization header must use the Basic scheme")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidClient("the Basic credentials are not valid base64 of UTF-8 text") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise InvalidClient("the Basic credentials must be client_id:client_secret")
    # RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    return Credentials(unquote_plus(client_id), unquote_plus(secret), via_basic=True)


def presented_credentials(authorization: str | None, form: Mapping[str, str]) -> Credentials | None:
    """The credentials in the request, or None; both Basic and body is an error."""
    in_body = "client_id" in form or "client_secret" in form
    if authorization is not None:
        if in_body:
            raise InvalidRequest("send client credentials in the Authorization header or the body, not both")
        return _checked(_basic(authorization))
    if not in_body:
        return None
    if "client_id" not in form:
        raise InvalidClient("client_secret was sent without client_id")
    return _checked(Credentials(form["client_id"], form.get("client_secret"), via_basic=False))
