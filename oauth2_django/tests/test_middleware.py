"""BearerTokenMiddleware: where tokens are read from, what it sets, what it never does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.test import Client as HttpClient
from django.test import RequestFactory, override_settings
from django.utils import timezone

from oauth2_core.tokens import digest
from oauth2_django import bearer
from oauth2_django.bearer import BearerToken
from oauth2_django.middleware import BearerTokenMiddleware, TokenCheckUnavailable
from oauth2_django.models import AccessToken

from .conftest import FORM, Registered, server_setting

pytestmark = pytest.mark.django_db


def _open(client: HttpClient, **extra: Any) -> dict[str, Any]:
    response = client.get("/api/open", **extra)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _run(request: Any) -> Any:
    """Run the middleware alone and return the request as the view would see it."""
    seen: dict[str, Any] = {}

    def view(request: Any) -> Any:
        from django.http import HttpResponse

        seen["request"] = request
        return HttpResponse()

    request.user = AnonymousUser()
    response = BearerTokenMiddleware(view)(request)
    seen["response"] = response
    return seen


# -- where the token comes from --------------------------------------------------------


def test_authorization_header_authenticates(
    client: HttpClient, make_token: Callable[..., str], user: User, registered: Registered
) -> None:
    token = make_token(scope="read")
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "client_id": registered.client_id, "scope": "read"}


def test_scheme_is_case_insensitive(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"bearer {token}").status_code == 200


def test_request_attributes(
    rf: RequestFactory, make_token: Callable[..., str], user: User, registered: Registered
) -> None:
    token = make_token(scope="read write")
    seen = _run(rf.get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    request = seen["request"]
    assert request.user == user
    assert isinstance(request.user, User)
    assert request.user.username == "alice"
    assert request.user.is_authenticated
    assert request.user.check_password("correct horse battery staple")
    assert request.oauth2_client == registered.client
    assert request.oauth2_client.grant_types == ["password", "refresh_token"]
    assert request.oauth2_error is None
    stored = AccessToken.objects.get(digest=digest(token))
    assert request.oauth2_token == BearerToken(
        display=token[:9],
        client_id=registered.client_id,
        user_id=str(user.pk),
        scope=frozenset({"read", "write"}),
        expires_at=stored.expires_at,
        family_id=stored.family_id,
    )
    with pytest.raises(AttributeError):
        request.oauth2_token.scope = frozenset()
    assert token not in repr(request.oauth2_token)


def test_auser_returns_the_token_user(rf: RequestFactory, make_token: Callable[..., str], user: User) -> None:
    token = make_token()
    seen = _run(rf.get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    assert async_to_sync(seen["request"].auser)() == user


def test_form_body_token_on_post(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token()
    response = client.post("/api/write", urlencode({"access_token": token}), content_type=FORM)
    assert response.status_code == 200, response.content


def test_body_token_only_from_form_posts(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token()
    assert client.post("/api/write", {"access_token": token}).status_code == 401  # multipart
    assert (
        client.post("/api/write", f'{{"access_token": "{token}"}}', content_type="application/json").status_code == 401
    )


def test_query_token_refused_by_default(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token()
    response = client.get("/api/me", {"access_token": token})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


@override_settings(OAUTH2_SERVER=server_setting(ALLOW_QUERY_TOKEN=True))
def test_query_token_accepted_when_enabled(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token()
    assert client.get("/api/me", {"access_token": token}).status_code == 200


def test_two_methods_at_once_is_invalid_request(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token()
    response = client.post(
        "/api/write", urlencode({"access_token": token}), content_type=FORM, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_other_schemes_are_left_alone(client: HttpClient) -> None:
    body = _open(client, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert body == {"authenticated": False, "token": None, "error": None}


def test_oversized_form_body_does_not_break_the_middleware(client: HttpClient) -> None:
    body = b"access_token=x&junk=" + b"a" * 3_000_000
    response = client.post("/api/open", body, content_type=FORM)
    assert response.status_code == 200
    assert response.json() == {"authenticated": False, "token": None, "error": None}


# -- what it refuses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "presented",
    ["o2at_unknown", "", "not-ours", "o2at_" + "a" * 300, "o2at_with space", "o2at_\u00e9"],
    ids=["unknown", "empty", "foreign", "too-long", "space", "non-ascii"],
)
def test_invalid_token_leaves_the_request_anonymous(client: HttpClient, presented: str) -> None:
    body = _open(client, HTTP_AUTHORIZATION=f"Bearer {presented}")
    assert body == {"authenticated": False, "token": None, "error": "invalid_token"}


def test_invalid_token_does_not_fall_back_to_the_session(client: HttpClient, user: User) -> None:
    client.force_login(user)
    assert _open(client)["authenticated"] is True
    body = _open(client, HTTP_AUTHORIZATION="Bearer o2at_unknown")
    assert body["authenticated"] is False
    assert body["error"] == "invalid_token"


def test_revoked_token_is_refused(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token(revoked=True)
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["error_description"] == "the access token was revoked"


def test_expired_token_is_refused(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["error_description"] == "the access token expired"


def test_expiry_boundary_is_exclusive(make_token: Callable[..., str]) -> None:
    expires_at = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    token = make_token(expires_at=expires_at)
    assert bearer.find(token, expires_at) is bearer.EXPIRED
    assert bearer.find(token, expires_at + timedelta(microseconds=1)) is bearer.EXPIRED
    found = bearer.find(token, expires_at - timedelta(microseconds=1))
    assert isinstance(found, bearer.Found)
    assert found.token.expires_at == expires_at


def test_inactive_user_or_client_is_refused(
    client: HttpClient, make_token: Callable[..., str], user: User, registered: Registered
) -> None:
    token = make_token()
    user.is_active = False
    user.save()
    assert _open(client, HTTP_AUTHORIZATION=f"Bearer {token}")["error"] == "invalid_token"
    user.is_active = True
    user.save()
    registered.client.is_active = False
    registered.client.save()
    assert _open(client, HTTP_AUTHORIZATION=f"Bearer {token}")["error"] == "invalid_token"


def test_client_only_token_has_no_user(
    client: HttpClient, make_token: Callable[..., str], registered: Registered
) -> None:
    token = make_token(client_only=True, scope="read")
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {"user": None, "client_id": registered.client_id, "scope": "read"}


@pytest.mark.parametrize("url", ["/api/me", "/api/open"])
def test_database_outage_fails_the_request_instead_of_running_it_anonymously(
    client: HttpClient, make_token: Callable[..., str], url: str
) -> None:
    # The real outages (a closed port, a terminated backend) are in test_database_outage.py.
    token = make_token()

    def down(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        raise OperationalError("could not connect to server")

    with connection.execute_wrapper(down), pytest.raises(TokenCheckUnavailable):
        client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


# -- what it never does ------------------------------------------------------------------


def test_vary_authorization_on_every_response(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token()
    for response in (
        client.get("/api/open"),
        client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}"),
        client.get("/api/me"),
    ):
        assert "Authorization" in response["Vary"]


def test_no_session_and_no_last_login(client: HttpClient, make_token: Callable[..., str], user: User) -> None:
    token = make_token()
    before = user.last_login
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not Session.objects.exists()
    user.refresh_from_db()
    assert user.last_login == before


def test_no_authentication_backend_needed(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token()
    with override_settings(AUTHENTICATION_BACKENDS=[]):
        assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_exactly_one_query_and_no_write(
    client: HttpClient, make_token: Callable[..., str], django_assert_num_queries: Any
) -> None:
    token = make_token()
    client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")  # warm: first use builds the cached SQL
    with django_assert_num_queries(1) as captured:
        response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    sql = captured.captured_queries[0]["sql"]
    assert sql.lstrip().upper().startswith("SELECT")
    assert token not in sql


def test_invalid_token_costs_one_query_and_foreign_tokens_none(
    client: HttpClient, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        client.get("/api/open", HTTP_AUTHORIZATION="Bearer o2at_unknownunknownunknown")
    with django_assert_num_queries(0):
        client.get("/api/open", HTTP_AUTHORIZATION="Bearer somebody-elses-token")
