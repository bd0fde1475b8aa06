"""Finding the access token a bearer request presents: the per-request hot path.

One indexed equality query on the token's SHA-256 digest, joined with its
client and its user, through a raw cursor: compiling an ORM queryset costs
several times more than the lookup itself. The rows are still turned into
real model instances (``Model.from_db`` after the backend's own value
converters), so views get the same ``User`` they would get from the ORM; the
``Client`` instance is built only if a view asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import InterfaceError, OperationalError, connections, router
from django.db.models import Model
from django.utils.functional import SimpleLazyObject

from oauth2_core.tokens import ACCESS_TOKEN_PREFIX, digest
from oauth2_django.models import AccessToken, Client
from oauth2_django.rawsql import RowConverter, column, field, quoted

# RFC 6750 2.1 b64token, bounded: anything else cannot be one of our tokens.
_TOKEN_SYNTAX = re.compile(r"[A-Za-z0-9\-._~+/]{1,200}=*")


@dataclass(frozen=True, slots=True)
class BearerToken:
    """The access token that authenticated a request, without the token itself."""

    display: str
    client_id: str
    #: The user's primary key as a string; None for a token issued to a client alone.
    user_id: str | None
    scope: frozenset[str]
    expires_at: datetime
    family_id: str

    def has_scopes(self, required: Sequence[str]) -> bool:
        return self.scope.issuperset(required)


@dataclass(frozen=True, slots=True)
class BearerError:
    """Why a presented token was not accepted, as an RFC 6750 3.1 error."""

    error: str
    description: str
    status: int


@dataclass(frozen=True, slots=True)
class Found:
    token: BearerToken
    client: Client
    user: AbstractBaseUser | None


INVALID = BearerError("invalid_token", "the access token is invalid", 401)
EXPIRED = BearerError("invalid_token", "the access token expired", 401)
REVOKED = BearerError("invalid_token", "the access token was revoked", 401)
#: The database could not be reached; the middleware turns it into an exception, never an anonymous request.
UNAVAILABLE = BearerError("temporarily_unavailable", "the token could not be checked; try again later", 503)

_TOKEN_COLUMNS = ("display", "scope", "expires_at", "revoked_at", "family_id")


@dataclass(frozen=True, slots=True)
class _Query:
    """The lookup for one database alias and user model, built once: SQL, row layout, value converters."""

    sql: str
    user_model: type[Model]
    client_start: int
    user_start: int
    #: Where the client's ``is_active`` is in the row: checked before any client instance is built.
    client_active_index: int
    client_id_index: int
    client_attnames: tuple[str, ...]
    user_attnames: tuple[str, ...]
    #: Where the user's primary key is in the row.
    user_pk_index: int
    #: False for a multi-table-inheritance user model: only its key is selected, the rest loaded by the ORM.
    user_complete: bool
    row: RowConverter


@lru_cache(maxsize=16)
def _query(alias: str, user_model_label: str) -> _Query:
    # Built with this thread's connection and shared by every thread: the
    # backends' converters read only the connection's settings (time zone).
    # Keyed by the AUTH_USER_MODEL label, so override_settings gets a query of its own.
    user_model = get_user_model()
    connection = connections[alias]
    quote = connection.ops.quote_name
    token_fields = tuple(field(AccessToken, name) for name in _TOKEN_COLUMNS)
    client_fields = tuple(Client._meta.concrete_fields)
    user_pk = user_model._meta.pk
    if user_pk is None:
        raise TypeError(f"{user_model.__name__} has no primary key")
    # A multi-table-inheritance user model keeps fields in its parents' tables.
    user_complete = not user_model._meta.parents
    user_fields = tuple(user_model._meta.concrete_fields) if user_complete else (user_pk,)
    tables = [("t", token_fields), ("c", client_fields), ("u", user_fields)]
    positions = [(table, selected) for table, fields in tables for selected in fields]
    selected_sql = ", ".join(f"{table}.{quote(column(selected))}" for table, selected in positions)
    token_column = {name: quoted(connection, AccessToken, name) for name in ("client", "user", "digest")}
    # Every name comes from model metadata and is quoted; the digest is a parameter.
    sql = (
        f"SELECT {selected_sql} FROM {quote(AccessToken._meta.db_table)} t"  # noqa: S608
        f" INNER JOIN {quote(Client._meta.db_table)} c"
        f" ON c.{quoted(connection, Client, 'client_id')} = t.{token_column['client']}"
        f" LEFT OUTER JOIN {quote(user_model._meta.db_table)} u"
        f" ON u.{quote(column(user_pk))} = t.{token_column['user']}"
        f" WHERE t.{token_column['digest']} = %s"
    )
    user_start = len(token_fields) + len(client_fields)
    return _Query(
        sql=sql,
        user_model=user_model,
        client_start=len(token_fields),
        user_start=user_start,
        client_active_index=len(token_fields) + client_fields.index(field(Client, "is_active")),
        client_id_index=len(token_fields) + client_fields.index(field(Client, "client_id")),
        client_attnames=tuple(f.attname for f in client_fields),
        user_attnames=tuple(f.attname for f in user_fields),
        user_pk_index=user_start + user_fields.index(user_pk),
        user_complete=user_complete,
        row=RowConverter.build(connection, positions),
    )


def find(token: str, now: datetime) -> Found | BearerError:
    """The token's record, client and user; or why the token is refused. Never writes."""
    if not token.startswith(ACCESS_TOKEN_PREFIX) or not _TOKEN_SYNTAX.fullmatch(token):
        return INVALID
    alias = router.db_for_read(AccessToken)
    connection = connections[alias]
    try:
        # Inside the try: building the query may be the first thing to touch the connection.
        query = _query(alias, settings.AUTH_USER_MODEL)
        with connection.cursor() as cursor:
            cursor.execute(query.sql, [digest(token)])
            row = cursor.fetchone()
    except (OperationalError, InterfaceError):
        return UNAVAILABLE
    if row is None:
        return INVALID
    values = query.row.convert(row, connection)
    display, scope, expires_at, revoked_at, family_id = values[: query.client_start]
    if revoked_at is not None:
        return REVOKED
    if expires_at <= now:
        return EXPIRED
    if not values[query.client_active_index]:
        return INVALID
    client_values = values[query.client_start : query.user_start]
    # Most views never look at request.oauth2_client: build the instance on first use only.
    client = SimpleLazyObject(lambda: Client.from_db(alias, query.client_attnames, client_values))
    user_model = query.user_model
    user = None
    user_pk = values[query.user_pk_index]
    if user_pk is not None:
        if query.user_complete:
            user = user_model.from_db(alias, query.user_attnames, values[query.user_start :])
        else:
            # The one case with a second query: the user's fields span several tables.
            try:
                user = user_model._default_manager.db_manager(alias).get(pk=user_pk)
            except (OperationalError, InterfaceError):
                return UNAVAILABLE
        if not getattr(user, "is_active", True):
            return INVALID
    bearer = BearerToken(
        display=display,
        client_id=values[query.client_id_index],
        user_id=None if user is None else str(user.pk),
        scope=frozenset(scope.split()),
        expires_at=expires_at,
        family_id=family_id,
    )
    return Found(bearer, cast("Client", client), user)
