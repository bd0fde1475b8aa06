"""Token and secret values: generation, digests and the records a store keeps.

A token is 256 bits from :mod:`secrets` behind a short type prefix, so secret
scanners can recognise a leaked one. Stores only ever see a SHA-256 digest and
a display prefix: a slow password hash would buy nothing for a value with 256
bits of entropy and would cost a key-derivation on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Public type markers, not secrets: scanners match on them (hence the noqa for bandit's S105).
ACCESS_TOKEN_PREFIX = "o2at_"  # noqa: S105
REFRESH_TOKEN_PREFIX = "o2rt_"  # noqa: S105
CLIENT_SECRET_PREFIX = "o2cs_"  # noqa: S105

#: Characters of a token shown in admin screens and logs: the type prefix plus
#: four random characters, which leaves well over 200 bits unknown.
DISPLAY_LENGTH = 9


def generate(prefix: str) -> str:
    """A new token: the type prefix and 43 URL-safe characters (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """The SHA-256 hex digest under which a token or secret is stored and looked up."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(value: str) -> str:
    """The part of a token that may be shown to people to tell tokens apart."""
    return value[:DISPLAY_LENGTH]


def digest_matches(value: str, stored_digest: str) -> bool:
    """Constant-time comparison of a presented value with a stored digest."""
    return hmac.compare_digest(digest(value), stored_digest)


def new_family_id() -> str:
    """Identifier shared by every token descended from one original grant."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class AccessTokenRecord:
    """What a store keeps for an access token; no plaintext."""

    digest: str
    display: str
    client_id: str
    user_id: str | None
    scope: frozenset[str]
    expires_at: datetime
    family_id: str
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class RefreshTokenRecord:
    """What a store keeps for a refresh token.

    ``consumed`` is set by a successful rotation; presenting a consumed token
    again is reuse, and the whole ``family_id`` is revoked (RFC 9700 4.14.2).
    """

    digest: str
    display: str
    client_id: str
    user_id: str | None
    scope: frozenset[str]
    expires_at: datetime | None
    family_id: str
    access_digest: str
    consumed: bool = False
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """Freshly minted tokens: the plaintext for the response, records for the store.

    The plaintext fields are left out of ``repr`` so that logging the object
    cannot leak them.
    """

    access_token: str = field(repr=False)
    access: AccessTokenRecord
    refresh_token: str | None = field(repr=False)
    refresh: RefreshTokenRecord | None
    expires_in: int


def new_tokens(
    *,
    client_id: str,
    user_id: str | None,
    scope: frozenset[str],
    family_id: str,
    now: datetime,
    access_lifetime: int,
    refresh: bool,
    refresh_lifetime: int | None,
) -> IssuedTokens:
    """A fresh access token, and a refresh token when ``refresh``, with the records a store keeps.

    ``refresh_lifetime`` None means the refresh token does not expire. The one
    place tokens are made: the endpoint and the testing kit both call it.
    """
    access_token = generate(ACCESS_TOKEN_PREFIX)
    access = AccessTokenRecord(
        digest=digest(access_token),
        display=display_prefix(access_token),
        client_id=client_id,
        user_id=user_id,
        scope=scope,
        expires_at=now + timedelta(seconds=access_lifetime),
        family_id=family_id,
    )
    if not refresh:
        return IssuedTokens(access_token, access, None, None, access_lifetime)
    refresh_token = generate(REFRESH_TOKEN_PREFIX)
    refresh_record = RefreshTokenRecord(
        digest=digest(refresh_token),
        display=display_prefix(refresh_token),
        client_id=client_id,
        user_id=user_id,
        scope=scope,
        expires_at=None if refresh_lifetime is None else now + timedelta(seconds=refresh_lifetime),
        family_id=family_id,
        access_digest=access.digest,
    )
    return IssuedTokens(access_token, access, refresh_token, refresh_record, access_lifetime)
