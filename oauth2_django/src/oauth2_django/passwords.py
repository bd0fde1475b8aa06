"""Checking a username and password for the password grant: Django's ``authenticate()``, minus the queryset.

With the stock setup (``AUTHENTICATION_BACKENDS`` is exactly Django's
``ModelBackend`` and the user model's default manager is Django's own) most
of ``authenticate()``'s time goes into compiling the ORM query that fetches
the user, several times what the query itself costs. For that setup
:func:`authenticate` takes the same steps ``ModelBackend`` takes (Django 5.2
and 6.x alike), with the user row fetched by raw SQL (see
:mod:`oauth2_django.rawsql`):

- the user is looked up by ``USERNAME_FIELD``, exactly as ``get_by_natural_key``;
- an unknown username still runs the default hasher once
  (``UserModel().set_password``), so the time taken does not tell which
  usernames exist;
- a known one passes only ``user.check_password`` (which upgrades an outdated
  hash) and then the backend's ``user_can_authenticate`` (``is_active``);
- a failure sends ``user_login_failed`` with the password masked, as
  ``authenticate()`` does.

Any other setup (more or other backends, a custom manager or queryset, a
multi-table user model, two users with one username) goes through Django's
``authenticate()`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import Field, Model
from django.db.models.manager import BaseManager
from django.db.models.query import QuerySet
from django.views.decorators.debug import sensitive_variables

from oauth2_django.rawsql import RowConverter, column, table

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
#: What ``authenticate()`` sends in place of a password (``django.contrib.auth._clean_credentials``).
MASKED = "********************"
#: ``authenticate()`` sends ``user_login_failed`` with its module's name as the sender.
SIGNAL_SENDER = "django.contrib.auth"

_backend = ModelBackend()


@dataclass(frozen=True, slots=True)
class _UserQuery:
    sql: str
    attnames: tuple[str, ...]
    username_field: Field[Any, Any]
    row: RowConverter


@lru_cache(maxsize=16)
def _user_query(alias: str, user_model: type[Model]) -> _UserQuery | None:
    """The lookup ``get_by_natural_key`` would run; None when the ORM's own lookup could differ from it."""
    manager = user_model._default_manager
    stock_manager = (
        getattr(type(manager), "get_by_natural_key", None) is BaseUserManager.get_by_natural_key
        and type(manager).get_queryset is BaseManager.get_queryset
        and getattr(manager, "_queryset_class", None) is QuerySet
    )
    if not stock_manager or user_model._meta.parents:
        return None
    try:
        username_field = user_model._meta.get_field(getattr(user_model, "USERNAME_FIELD", "username"))
    except FieldDoesNotExist:
        return None
    if not isinstance(username_field, Field) or username_field.is_relation or username_field.column is None:
        return None
    connection = connections[alias]
    fields = tuple(user_model._meta.concrete_fields)
    quote = connection.ops.quote_name
    # Every name comes from model metadata and is quoted; the username is a parameter.
    sql = (
        f"SELECT {', '.join(quote(column(f)) for f in fields)} FROM {table(connection, user_model)}"  # noqa: S608
        f" WHERE {quote(username_field.column)} = %s"
    )
    return _UserQuery(
        sql=sql,
        attnames=tuple(f.attname for f in fields),
        username_field=username_field,
        row=RowConverter.build(connection, [(user_model._meta.db_table, f) for f in fields]),
    )


def _only_model_backend() -> bool:
    backends = settings.AUTHENTICATION_BACKENDS
    return len(backends) == 1 and backends[0] == MODEL_BACKEND


@sensitive_variables("password")
def authenticate(username: str, password: str) -> AbstractBaseUser | None:
    """The user these credentials identify and who may sign in, or None; as Django's ``authenticate()``."""
    user_model = get_user_model()
    alias = user_model._default_manager.db
    query = _user_query(alias, user_model) if _only_model_backend() else None
    if query is None:
        return django_authenticate(None, username=username, password=password)  # type: ignore[no-any-return]
    connection = connections[alias]
    key = query.username_field.get_db_prep_value(
        query.username_field.get_prep_value(username), connection, prepared=True
    )
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [key])
        rows = cursor.fetchmany(2)
    if len(rows) > 1:
        # Two users with one username: get_by_natural_key's error is Django's to raise.
        return django_authenticate(None, username=username, password=password)  # type: ignore[no-any-return]
    user = None
    if rows:
        values = query.row.convert(rows[0], connection)
        user = cast("AbstractBaseUser", user_model.from_db(alias, query.attnames, values))
    if user is None:
        # Hash once anyway, so an unknown username takes as long as a wrong password.
        user_model().set_password(password)
    elif user.check_password(password) and _backend.user_can_authenticate(user):
        return user
    user_login_failed.send(sender=SIGNAL_SENDER, credentials={"username": username, "password": MASKED}, request=None)
    return None
