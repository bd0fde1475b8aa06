"""Host hooks on the Django ORM: finding clients, transactions, checking passwords and users.

Registered as a plugin by :func:`oauth2_django.server.get_server`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, router, transaction
from django.db.models import Field, ManyToManyField, Model

from oauth2_core import Client, ClientSecret, hookimpl
from oauth2_django import models, passwords
from oauth2_django.rawsql import RowConverter, column, field, quoted, table


@dataclass(frozen=True, slots=True)
class _ClientQuery:
    sql: str
    row: RowConverter


@lru_cache(maxsize=16)
def _client_query(alias: str) -> _ClientQuery:
    # One statement: the client left-joined with its secrets and its scopes. The
    # rows are the product of the two (a handful of each), which costs less than
    # more round trips.
    connection = connections[alias]
    quote = connection.ops.quote_name
    client, secret, scope = models.Client, models.ClientSecret, models.Scope
    scopes = client._meta.get_field("scopes")
    if not isinstance(scopes, ManyToManyField):
        raise TypeError("Client.scopes is not a many-to-many field")
    secret_client = field(secret, "client")
    scope_pk = scope._meta.pk
    if scope_pk is None:
        raise TypeError("Scope has no primary key")
    selected = [
        ("c", field(client, "client_type")),
        ("c", field(client, "grant_types")),
        ("c", field(client, "name")),
        ("s", field(secret, "digest")),
        ("s", field(secret, "expires_at")),
        ("sc", field(scope, "name")),
    ]
    columns = ", ".join(f"{prefix}.{quote(column(found))}" for prefix, found in selected)
    client_pk = quote(column(secret_client.target_field))
    # Every name comes from model metadata and is quoted; the values are parameters.
    sql = (
        f"SELECT {columns} FROM {table(connection, client)} c"  # noqa: S608
        f" LEFT OUTER JOIN {table(connection, secret)} s ON s.{quote(column(secret_client))} = c.{client_pk}"
        f" LEFT OUTER JOIN {quote(scopes.m2m_db_table())} cs ON cs.{quote(scopes.m2m_column_name())} = c.{client_pk}"
        f" LEFT OUTER JOIN {table(connection, scope)} sc"
        f" ON sc.{quote(column(scope_pk))} = cs.{quote(scopes.m2m_reverse_name())}"
        f" WHERE c.{quoted(connection, client, 'client_id')} = %s AND c.{quoted(connection, client, 'is_active')} = %s"
    )
    return _ClientQuery(sql, RowConverter.build(connection, selected))


@hookimpl
def oauth2_host_find_client(client_id: str) -> Client | None:
    alias = router.db_for_read(models.Client)
    query = _client_query(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [client_id, True])
        rows = cursor.fetchall()
    if not rows:
        return None
    secrets: dict[str, datetime | None] = {}
    scopes: set[str] = set()
    for row in rows:
        _, _, _, secret_digest, secret_expires_at, scope = values = query.row.convert(row, connection)
        if secret_digest is not None:
            secrets[secret_digest] = secret_expires_at
        if scope is not None:
            scopes.add(scope)
    client_type, grant_types, name = values[:3]
    return Client(
        client_id=client_id,
        confidential=client_type == models.Client.ClientType.CONFIDENTIAL,
        grant_types=frozenset(grant_types if isinstance(grant_types, list) else ()),
        scopes=frozenset(scopes),
        secrets=tuple(ClientSecret(digest, expires_at) for digest, expires_at in secrets.items()),
        name=name or "",
    )


@hookimpl
def oauth2_host_transaction() -> AbstractContextManager[None]:
    return transaction.atomic(using=router.db_for_write(models.AccessToken))


@hookimpl(optionalhook=True)
def oauth2_password_authenticate(username: str, password: str, client: Client) -> str | None:
    # Django's authenticate() (or its raw-SQL twin) runs the password hasher for
    # unknown usernames too, so the response time does not tell which usernames exist.
    user = passwords.authenticate(username, password)
    if user is None or not user.is_active:
        return None
    return str(user.pk)


@dataclass(frozen=True, slots=True)
class _ActiveQuery:
    sql: str
    pk: Field[Any, Any]
    #: The range a whole-number key must be in; None when the key is not a whole number.
    bounds: tuple[int, int] | None


@lru_cache(maxsize=16)
def _active_query(alias: str, user_model: type[Model]) -> _ActiveQuery | None:
    """``is_active`` of one user by key; None when the ORM must answer (not a plain column of its own table)."""
    connection = connections[alias]
    pk = user_model._meta.pk
    try:
        active = user_model._meta.get_field("is_active")
    except FieldDoesNotExist:
        return None
    if pk is None or user_model._meta.parents or not isinstance(active, Field) or active.column is None:
        return None
    quote = connection.ops.quote_name
    # Every name comes from model metadata and is quoted; the key is a parameter.
    sql = f"SELECT {quote(active.column)} FROM {table(connection, user_model)} WHERE {quote(column(pk))} = %s"  # noqa: S608
    bounds = connection.ops.integer_field_ranges.get(pk.get_internal_type())
    return _ActiveQuery(sql, pk, bounds)


def _user_active_orm(user_model: type[Model], user_id: str) -> bool:
    try:
        user = user_model._default_manager.get(pk=user_id)
    except (user_model.DoesNotExist, ValueError, ValidationError):
        return False
    return bool(getattr(user, "is_active", True))


@hookimpl(optionalhook=True)
def oauth2_refresh_user_active(user_id: str, client: Client) -> bool:
    # The same rule as the bearer middleware: the user must exist and be active.
    user_model = get_user_model()
    alias = router.db_for_read(user_model)
    query = _active_query(alias, user_model)
    if query is None:
        return _user_active_orm(user_model, user_id)
    try:
        key = query.pk.get_prep_value(user_id)
    except (ValueError, ValidationError):
        return False
    if query.bounds is not None and not query.bounds[0] <= key <= query.bounds[1]:
        return False
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [query.pk.get_db_prep_value(key, connection, prepared=True)])
        row = cursor.fetchone()
    return row is not None and bool(row[0])
