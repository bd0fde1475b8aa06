"""Host hooks on the Django ORM: finding clients, transactions, checking passwords and users.

Registered as a plugin by :func:`oauth2_django.server.get_server`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime

from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError
from django.db import router, transaction

from oauth2_core import Client, ClientSecret, hookimpl
from oauth2_django import models


@hookimpl
def oauth2_host_find_client(client_id: str) -> Client | None:
    # One query: the client joined with its secrets and its scopes. The rows are
    # the product of the two (a handful of each), which costs less than two more
    # round trips for prefetching.
    rows = list(
        models.Client.objects.filter(client_id=client_id, is_active=True).values_list(
            "client_type", "grant_types", "name", "secrets__digest", "secrets__expires_at", "scopes__name"
        )
    )
    if not rows:
        return None
    client_type, grant_types, name = rows[0][:3]
    secrets: dict[str, datetime | None] = {}
    scopes: set[str] = set()
    for *_, secret_digest, secret_expires_at, scope in rows:
        if secret_digest is not None:
            secrets[secret_digest] = secret_expires_at
        if scope is not None:
            scopes.add(scope)
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
    # authenticate() runs the password hasher for unknown usernames too, so the
    # response time does not tell which usernames exist.
    user = authenticate(None, username=username, password=password)
    if user is None or not user.is_active:
        return None
    return str(user.pk)


@hookimpl(optionalhook=True)
def oauth2_refresh_user_active(user_id: str, client: Client) -> bool:
    # The same rule as the bearer middleware: the user must exist and be active.
    user_model = get_user_model()
    try:
        user = user_model._default_manager.get(pk=user_id)
    except (user_model.DoesNotExist, ValueError, ValidationError):
        return False
    return bool(getattr(user, "is_active", True))
