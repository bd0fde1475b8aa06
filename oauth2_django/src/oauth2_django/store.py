"""The token store hooks on the Django database.

The per-request statements (the refresh-token lookup, the rotation and the
inserts) run as raw SQL built once per database alias (see
:mod:`oauth2_django.rawsql`); revoking a family, which is rare, uses the ORM.

Rotation is one conditional UPDATE (``consumed_at IS NULL AND revoked_at IS
NULL``) whose row count decides the winner. On PostgreSQL a concurrent
rotation of the same token blocks on the row lock and, once the winner
commits, re-checks the condition and updates nothing; SQLite serialises
writers, so the second UPDATE sees the committed row. Either way a refresh
token rotates at most once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connections, router
from django.db.models import Field
from django.utils import timezone

from oauth2_core import hookimpl
from oauth2_core.tokens import AccessTokenRecord, IssuedTokens, RefreshTokenRecord
from oauth2_django.models import AccessToken, RefreshToken
from oauth2_django.rawsql import Insert, RowConverter, field, quoted, table

_REFRESH_COLUMNS = (
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


@dataclass(frozen=True, slots=True)
class _Statements:
    """What the per-request hooks run on one database alias, built once."""

    insert_access: Insert
    insert_refresh: Insert
    find_refresh: str
    find_refresh_row: RowConverter
    consume_refresh: str
    revoke_issued_with: str
    #: The datetime columns the UPDATEs set, to prepare their value as the ORM would.
    consumed_at: Field[Any, Any]
    revoked_at: Field[Any, Any]


@lru_cache(maxsize=16)
def _statements(alias: str) -> _Statements:
    connection = connections[alias]
    access, refresh = table(connection, AccessToken), table(connection, RefreshToken)

    def rt(name: str) -> str:
        return quoted(connection, RefreshToken, name)

    def at(name: str) -> str:
        return quoted(connection, AccessToken, name)

    selected = [(RefreshToken._meta.db_table, field(RefreshToken, name)) for name in _REFRESH_COLUMNS]
    # Every name comes from model metadata and is quoted; the values are parameters.
    return _Statements(
        insert_access=Insert.build(connection, AccessToken),
        insert_refresh=Insert.build(connection, RefreshToken),
        find_refresh=(
            f"SELECT {', '.join(rt(name) for name in _REFRESH_COLUMNS)} FROM {refresh} WHERE {rt('digest')} = %s"  # noqa: S608
        ),
        find_refresh_row=RowConverter.build(connection, selected),
        consume_refresh=(
            f"UPDATE {refresh} SET {rt('consumed_at')} = %s"  # noqa: S608
            f" WHERE {rt('digest')} = %s AND {rt('consumed_at')} IS NULL AND {rt('revoked_at')} IS NULL"
        ),
        revoke_issued_with=(
            f"UPDATE {access} SET {at('revoked_at')} = %s"  # noqa: S608
            f" WHERE {at('revoked_at')} IS NULL"
            f" AND {at('digest')} IN (SELECT {rt('access_digest')} FROM {refresh} WHERE {rt('digest')} = %s)"
        ),
        consumed_at=field(RefreshToken, "consumed_at"),
        revoked_at=field(AccessToken, "revoked_at"),
    )


def _user_id(value: Any) -> str | None:
    return None if value is None else str(value)


def _scope_text(scope: Iterable[str]) -> str:
    return " ".join(sorted(scope))


def _save(alias: str, tokens: IssuedTokens) -> None:
    connection = connections[alias]
    statements = _statements(alias)
    created_at = timezone.now()
    access = tokens.access
    statements.insert_access.execute(
        connection,
        {
            "digest": access.digest,
            "display": access.display,
            "client_id": access.client_id,
            "user_id": access.user_id,
            "scope": _scope_text(access.scope),
            "expires_at": access.expires_at,
            "family_id": access.family_id,
            "created_at": created_at,
        },
    )
    refresh = tokens.refresh
    if refresh is not None:
        statements.insert_refresh.execute(
            connection,
            {
                "digest": refresh.digest,
                "display": refresh.display,
                "client_id": refresh.client_id,
                "user_id": refresh.user_id,
                "scope": _scope_text(refresh.scope),
                "expires_at": refresh.expires_at,
                "family_id": refresh.family_id,
                "access_digest": refresh.access_digest,
                "created_at": created_at,
            },
        )


@hookimpl
def oauth2_store_save_tokens(tokens: IssuedTokens) -> bool:
    _save(router.db_for_write(AccessToken), tokens)
    return True


@hookimpl
def oauth2_store_rotate_refresh_token(consumed_digest: str, tokens: IssuedTokens) -> bool:
    # Runs inside the host transaction, so the UPDATEs and the INSERTs commit together.
    # Expiry is the grant's to judge, before this call. The alias is the one the
    # host transaction opened (oauth2_django.host.oauth2_host_transaction).
    alias = router.db_for_write(AccessToken)
    connection = connections[alias]
    statements = _statements(alias)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            statements.consume_refresh, [statements.consumed_at.get_db_prep_save(now, connection), consumed_digest]
        )
        if cursor.rowcount != 1:
            return False
        cursor.execute(
            statements.revoke_issued_with, [statements.revoked_at.get_db_prep_save(now, connection), consumed_digest]
        )
    _save(alias, tokens)
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
    alias = router.db_for_read(RefreshToken)
    connection = connections[alias]
    statements = _statements(alias)
    with connection.cursor() as cursor:
        cursor.execute(statements.find_refresh, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    values = statements.find_refresh_row.convert(row, connection)
    display, client_id, user_id, scope, expires_at, family_id, access_digest, consumed_at, revoked_at = values
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
