"""PostgreSQL really out of reach: a closed port, a backend terminated from a second connection, a lock timeout.

The token endpoint answers a JSON 503 with ``Retry-After`` and issues
nothing; the bearer middleware never lets a request through (anonymous or
not) and fails it so the site's own ``handler500`` answers. No mocks: the
Django connection is pointed at a port nothing listens on, or its server
process is killed with ``pg_terminate_backend``, or a table it needs is
locked while ``statement_timeout`` runs.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.signals import got_request_exception
from django.db import connection
from django.test import Client as HttpClient
from django.test import override_settings

from oauth2_core import hookimpl
from oauth2_core.tokens import IssuedTokens
from oauth2_django.middleware import TokenCheckUnavailable
from oauth2_django.models import AccessToken, RefreshToken
from oauth2_django.server import get_server

from . import outage_urls
from .conftest import PASSWORD, Registered, post_token

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def unreachable_database() -> Iterator[None]:
    """Point Django's connection at a port nothing listens on, as when the server is down."""
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(_closed_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


@pytest.fixture
def second_connection() -> Iterator[psycopg.Connection[Any]]:
    """A connection of the test's own to the same database, to kill or block Django's."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"], autocommit=True
    ) as other:
        yield other


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _password(registered: Registered, user: User) -> dict[str, str]:
    return {
        "grant_type": "password",
        "username": user.username,
        "password": PASSWORD,
        "client_id": registered.client_id,
        "client_secret": registered.secret or "",
    }


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "temporarily_unavailable"
    assert "access_token" not in response.json()
    assert int(response["Retry-After"]) > 0


@pytest.fixture
def site() -> Iterator[tuple[HttpClient, list[BaseException]]]:
    """A client that gets the site's error pages instead of exceptions, and the exceptions Django reported."""
    reported: list[BaseException] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        import sys

        error = sys.exc_info()[1]
        if error is not None:
            reported.append(error)

    got_request_exception.connect(record)
    outage_urls.handled.clear()
    try:
        with override_settings(ROOT_URLCONF="tests.outage_urls"):
            yield HttpClient(raise_request_exception=False), reported
    finally:
        got_request_exception.disconnect(record)


def _assert_site_handled(response: Any, path: str, reported: list[BaseException]) -> None:
    assert response.status_code == 500
    assert response.json() == {"error": "the site's own 500 page"}
    assert outage_urls.handled == [path]
    assert [type(error) for error in reported] == [TokenCheckUnavailable]


# -- a closed port ------------------------------------------------------------------------------


def test_token_endpoint_answers_503_when_the_database_is_unreachable(registered: Registered, user: User) -> None:
    http = HttpClient()
    with unreachable_database():
        _assert_unavailable(post_token(http, _password(registered, user)))
    assert not AccessToken.objects.exists()
    assert post_token(http, _password(registered, user)).status_code == 200


@pytest.mark.parametrize("path", ["/api/me", "/api/open"])
def test_middleware_fails_the_request_when_the_database_is_unreachable(
    make_token: Callable[..., str], site: tuple[HttpClient, list[BaseException]], path: str
) -> None:
    token = make_token()
    http, reported = site
    with unreachable_database():
        response = http.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    _assert_site_handled(response, path, reported)
    assert http.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_requests_without_a_token_do_not_touch_the_database(site: tuple[HttpClient, list[BaseException]]) -> None:
    http, reported = site
    with unreachable_database():
        response = http.get("/api/open")
    assert response.json() == {"authenticated": False, "token": None, "error": None}
    assert reported == []


def test_debug_error_page_shows_no_token(make_token: Callable[..., str], db: None) -> None:
    # DEBUG pages show every local variable of every frame: none of ours in the traceback holds the token.
    token = make_token()
    http = HttpClient(raise_request_exception=False)
    with override_settings(DEBUG=True), unreachable_database():
        response = http.get("/api/open", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 500
    page = response.content.decode()
    assert "TokenCheckUnavailable" in page, "the technical 500 page was expected"
    assert token[9:] not in page


def test_emailed_error_report_shows_no_body_token(make_token: Callable[..., str], db: None) -> None:
    # What AdminEmailHandler sends in production (DEBUG off): the body token is masked like a password.
    from django.views.debug import ExceptionReporter

    token = make_token()
    reports: list[str] = []

    def report(sender: Any, request: Any = None, **kwargs: Any) -> None:
        import sys

        reports.append(ExceptionReporter(request, *sys.exc_info()).get_traceback_text())

    got_request_exception.connect(report)
    try:
        with unreachable_database():
            HttpClient(raise_request_exception=False).post(
                "/api/open", f"access_token={token}", content_type="application/x-www-form-urlencoded"
            )
    finally:
        got_request_exception.disconnect(report)
    assert len(reports) == 1
    assert "access_token" in reports[0]
    assert token[9:] not in reports[0]


# -- a backend terminated from a second connection -------------------------------------------------


class TerminateBeforeWriting:
    """A wrapper plugin that has PostgreSQL kill this request's backend just before the token store writes."""

    def __init__(self, killer: psycopg.Connection[Any]) -> None:
        self.killer = killer

    @hookimpl(wrapper=True)
    def oauth2_store_save_tokens(self, tokens: IssuedTokens) -> Iterator[None]:
        self.killer.execute("SELECT pg_terminate_backend(%s)", [_backend_pid()])
        return (yield)


def test_backend_terminated_mid_issuance_is_503_and_leaves_nothing(
    registered: Registered, user: User, second_connection: psycopg.Connection[Any]
) -> None:
    pluginmanager = get_server().pluginmanager
    plugin = TerminateBeforeWriting(second_connection)
    pluginmanager.register(plugin)
    try:
        response = post_token(HttpClient(), _password(registered, user))
    finally:
        pluginmanager.unregister(plugin)
        connection.close()
    _assert_unavailable(response)
    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.exists()


def test_backend_terminated_between_requests_fails_the_bearer_request(
    make_token: Callable[..., str],
    site: tuple[HttpClient, list[BaseException]],
    second_connection: psycopg.Connection[Any],
) -> None:
    token = make_token()
    http, reported = site
    second_connection.execute("SELECT pg_terminate_backend(%s)", [_backend_pid()])
    try:
        response = http.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    finally:
        connection.close()
    _assert_site_handled(response, "/api/me", reported)


# -- a lock held elsewhere, and a statement timeout ---------------------------------------------------


@contextmanager
def locked_out(table: str, blocker: psycopg.Connection[Any]) -> Iterator[None]:
    """Hold an exclusive lock on ``table`` from another connection while Django's statements time out."""
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 300")
    try:
        with blocker.transaction():
            blocker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


def test_token_endpoint_answers_503_when_the_database_times_out(
    registered: Registered, user: User, second_connection: psycopg.Connection[Any]
) -> None:
    started = time.monotonic()
    with locked_out("oauth2_client", second_connection):
        response = post_token(HttpClient(), _password(registered, user))
    _assert_unavailable(response)
    assert time.monotonic() - started < 10
    assert not AccessToken.objects.exists()


def test_middleware_fails_the_request_when_the_database_times_out(
    make_token: Callable[..., str],
    site: tuple[HttpClient, list[BaseException]],
    second_connection: psycopg.Connection[Any],
) -> None:
    token = make_token()
    http, reported = site
    with locked_out("oauth2_accesstoken", second_connection):
        response = http.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    _assert_site_handled(response, "/api/me", reported)
