"""All-or-nothing issuance: a fault at any write of a token request leaves no token, no consumption, no revocation.

Faults are real: a database trigger that fails one statement (an INSERT or
UPDATE on one table, so the writes before it in the same request have
already run), a wrapper plugin registered with the server that fails after
the token store returned, and a ``security_event`` receiver that fails on
``token_issued``. Requests go through the Django token view; the rows are
read back from the database. ``transactional_db``: the issuance transaction
really commits or rolls back, with no test transaction around it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client as HttpClient

from oauth2_core import hookimpl
from oauth2_core.events import SecurityEvent
from oauth2_core.tokens import IssuedTokens
from oauth2_django.models import AccessToken, RefreshToken
from oauth2_django.server import get_server
from oauth2_django.signals import security_event

from .conftest import PASSWORD, Registered, post_token

pytestmark = pytest.mark.django_db(transaction=True)

FAULT = "injected fault"


@contextmanager
def failing_statement(table: str, operation: str) -> Iterator[None]:
    """Make every ``operation`` (INSERT or UPDATE) on ``table`` fail inside the database itself."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION oauth2_injected_fault() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{FAULT}'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER oauth2_injected_fault BEFORE {operation} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION oauth2_injected_fault()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER oauth2_injected_fault BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{FAULT}'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER oauth2_injected_fault ON {table}")
                cursor.execute("DROP FUNCTION oauth2_injected_fault()")
            else:
                cursor.execute("DROP TRIGGER oauth2_injected_fault")


class FailAfterTheStore:
    """A wrapper plugin: the token store writes everything, then the request fails before commit."""

    @hookimpl(wrapper=True)
    def oauth2_store_save_tokens(self, tokens: IssuedTokens) -> Iterator[None]:
        yield
        raise RuntimeError(FAULT)

    @hookimpl(wrapper=True)
    def oauth2_store_rotate_refresh_token(self, consumed_digest: str, tokens: IssuedTokens) -> Iterator[None]:
        yield
        raise RuntimeError(FAULT)


@contextmanager
def failing_plugin() -> Iterator[None]:
    pluginmanager = get_server().pluginmanager
    plugin = FailAfterTheStore()
    pluginmanager.register(plugin)
    try:
        yield
    finally:
        pluginmanager.unregister(plugin)


@contextmanager
def failing_observer() -> Iterator[None]:
    """An audit receiver that cannot record ``token_issued``."""

    def audit(sender: Any, event: SecurityEvent, **kwargs: Any) -> None:
        if event.kind == "token_issued":
            raise RuntimeError(FAULT)

    security_event.connect(audit)
    try:
        yield
    finally:
        security_event.disconnect(audit)


Fault = Callable[[], Any]

PASSWORD_FAULTS: dict[str, Fault] = {
    "insert-access-token": lambda: failing_statement("oauth2_accesstoken", "INSERT"),
    "insert-refresh-token-after-the-access-token": lambda: failing_statement("oauth2_refreshtoken", "INSERT"),
    "after-the-store-returned": failing_plugin,
    "token-issued-observer": failing_observer,
}

REFRESH_FAULTS: dict[str, Fault] = {
    "consume-the-refresh-token": lambda: failing_statement("oauth2_refreshtoken", "UPDATE"),
    "revoke-the-old-access-token-after-consuming": lambda: failing_statement("oauth2_accesstoken", "UPDATE"),
    "insert-access-token-after-retiring-the-old-pair": lambda: failing_statement("oauth2_accesstoken", "INSERT"),
    "insert-refresh-token-last": lambda: failing_statement("oauth2_refreshtoken", "INSERT"),
    "after-the-store-returned": failing_plugin,
    "token-issued-observer": failing_observer,
}


def _credentials(registered: Registered) -> dict[str, str]:
    return {"client_id": registered.client_id, "client_secret": registered.secret or ""}


def _password(registered: Registered, user: User) -> dict[str, str]:
    return {"grant_type": "password", "username": user.username, "password": PASSWORD, **_credentials(registered)}


def _rows() -> list[tuple[Any, ...]]:
    """Every token row with its lifecycle columns: what a partial write would change."""
    access = AccessToken.objects.order_by("digest").values_list("digest", "revoked_at")
    refresh = RefreshToken.objects.order_by("digest").values_list("digest", "consumed_at", "revoked_at")
    return [*(("access", *row) for row in access), *(("refresh", *row) for row in refresh)]


def _assert_failed_without_token(response: Any) -> None:
    assert response.status_code == 500, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == "server_error"
    assert "access_token" not in body


def _issued_logged(caplog: pytest.LogCaptureFixture) -> int:
    return sum(1 for record in caplog.records if getattr(record, "oauth2_event", {}).get("kind") == "token_issued")


@pytest.mark.parametrize("fault", PASSWORD_FAULTS.values(), ids=PASSWORD_FAULTS.keys())
def test_password_grant_writes_nothing_when_any_write_fails(
    fault: Fault, registered: Registered, user: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="oauth2.security")
    http = HttpClient()
    with fault():
        response = post_token(http, _password(registered, user))
    _assert_failed_without_token(response)
    assert _rows() == []
    assert _issued_logged(caplog) == 0, "a rolled-back issuance must not be logged as issued"
    # Nothing half-written blocks the next attempt.
    assert post_token(http, _password(registered, user)).status_code == 200
    assert len(_rows()) == 2
    assert _issued_logged(caplog) == 1


@pytest.mark.parametrize("fault", REFRESH_FAULTS.values(), ids=REFRESH_FAULTS.keys())
def test_refresh_grant_leaves_the_old_pair_untouched_when_any_write_fails(
    fault: Fault, registered: Registered, user: User, caplog: pytest.LogCaptureFixture
) -> None:
    http = HttpClient()
    first = post_token(http, _password(registered, user)).json()
    refresh_form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], **_credentials(registered)}
    before = _rows()
    caplog.set_level(logging.INFO, logger="oauth2.security")
    with fault():
        response = post_token(http, refresh_form)
    _assert_failed_without_token(response)
    assert _rows() == before, "no new token, no consumed refresh token, no revoked access token"
    assert _issued_logged(caplog) == 0
    # The old access token still authenticates, and the old refresh token still rotates, once.
    assert http.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").status_code == 200
    rotated = post_token(http, refresh_form)
    assert rotated.status_code == 200, rotated.content
    assert http.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").status_code == 401
    assert post_token(http, refresh_form).json()["error"] == "invalid_grant"  # now it is reuse


def test_reuse_revocation_stands_although_the_request_fails(registered: Registered, user: User) -> None:
    """The one write meant to outlive a failed request: revoking a family when a used refresh token returns."""
    http = HttpClient()
    first = post_token(http, _password(registered, user)).json()
    refresh_form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], **_credentials(registered)}
    second = post_token(http, refresh_form).json()
    assert post_token(http, refresh_form).json()["error"] == "invalid_grant"
    assert http.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {second['access_token']}").status_code == 401
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
