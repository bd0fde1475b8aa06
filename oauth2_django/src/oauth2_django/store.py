"""The token store hooks on the Django ORM.

Rotation is one conditional UPDATE (``consumed_at IS NULL AND revoked_at IS
NULL``) whose row count decides the winner. On PostgreSQL a concurrent
rotation of the same token blocks on the row lock and, once the winner
commits, re-checks the condition and updates nothing; SQLite serialises
writers, so the second UPDATE sees the committed row. Either way a refresh
token rotates at most once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from oauth2_core import hookimpl
from oauth2_core.tokens import AccessTokenRecord, IssuedTokens, RefreshTokenRecord
from oauth2_django.models import AccessToken, RefreshToken


def _user_id(value: Any) -> str | None:
    return None if value is None else str(value)


def _scope_text(scope: Iterable[str]) -> str:
    return " ".join(sorted(scope))


def _save(tokens: IssuedTokens) -> None:
    access = tokens.access
    AccessToken.objects.create(
        digest=access.digest,
        display=access.display,
        client_id=access.client_id,
        user_id=access.user_id,
        scope=_scope_text(access.scope),
        expires_at=access.expires_at,
        family_id=access.family_id,
    )
    refresh = tokens.refresh
    if refresh is not None:
        RefreshToken.objects.create(
            digest=refresh.digest,
            display=refresh.display,
            client_id=refresh.client_id,
            user_id=refresh.user_id,
            scope=_scope_text(refresh.scope),
            expires_at=refresh.expires_at,
            family_id=refresh.family_id,
            access_digest=refresh.access_digest,
        )


@hookimpl
def oauth2_store_save_tokens(tokens: IssuedTokens) -> bool:
    _save(tokens)
    return True


@hookimpl
def oauth2_store_rotate_refresh_token(consumed_digest: str, tokens: IssuedTokens) -> bool:
    # Runs inside the host transaction, so the UPDATEs and the INSERTs commit together.
    # Expiry is the grant's to judge, before this call.
    now = timezone.now()
    live = RefreshToken.objects.filter(digest=consumed_digest, consumed_at__isnull=True, revoked_at__isnull=True)
    if live.update(consumed_at=now) != 1:
        return False
    issued_with = RefreshToken.objects.filter(digest=consumed_digest).values("access_digest")
    AccessToken.objects.filter(digest__in=issued_with, revoked_at__isnull=True).update(revoked_at=now)
    _save(tokens)
    return True


@hookimpl
def oauth2_store_find_access_token(digest: str) -> AccessTokenRecord | None:
    row = (
        AccessToken.objects.filter(digest=digest)
        .values_list("display", "client_id", "user_id", "scope", "expires_at", "family_id", "revoked_at")
        .first()
    )
    if row is None:
        return None
    display, client_id, user_id, scope, expires_at, family_id, revoked_at = row
    return AccessTokenRecord(
        digest=digest,
        display=display,
        client_id=client_id,
        user_id=_user_id(user_id),
        scope=frozenset(scope.split()),
        expires_at=expires_at,
        family_id=family_id,
        revoked=revoked_at is not None,
    )


@hookimpl
def oauth2_store_find_refresh_token(digest: str) -> RefreshTokenRecord | None:
    row = (
        RefreshToken.objects.filter(digest=digest)
        .values_list(
            "display",
            "client_id",
            "user_id",
            "scope",
            "expires_at",
            "family_id",
            "access_digest",
            "consumed_at",
            "revoked_at",
        )
        .first()
    )
    if row is None:
        return None
    display, client_id, user_id, scope, expires_at, family_id, access_digest, consumed_at, revoked_at = row
    return RefreshTokenRecord(
        digest=digest,
        display=display,
        client_id=client_id,
        user_id=_user_id(user_id),
        scope=frozenset(scope.split()),
        expires_at=expires_at,
        family_id=family_id,
        access_digest=access_digest,
        consumed=consumed_at is not None,
        revoked=revoked_at is not None,
    )


@hookimpl
def oauth2_store_revoke_family(family_id: str) -> int:
    now = timezone.now()
    revoked = 0
    for model in (AccessToken, RefreshToken):
        revoked += model.objects.filter(family_id=family_id, revoked_at__isnull=True).update(revoked_at=now)
    return revoked
