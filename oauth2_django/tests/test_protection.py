"""token_required and TokenRequiredMixin: RFC 6750 answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.test import RequestFactory, override_settings
from django.urls import path

from oauth2_django.protection import token_required

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/me", "/api/any", "/api/async-me", "/api/write", "/api/async-write"])
def test_no_token_is_401_with_a_bare_challenge(client: HttpClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="oauth2"'
    assert response["Content-Type"] == "application/json"
    assert "error" not in response.json()


@pytest.mark.parametrize("url", ["/api/me", "/api/async-me", "/api/write", "/api/async-write"])
def test_invalid_token_is_401_invalid_token(client: HttpClient, url: str) -> None:
    response = client.get(url, HTTP_AUTHORIZATION="Bearer o2at_nosuchtoken")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == (
        'Bearer realm="oauth2", error="invalid_token", error_description="the access token is invalid"'
    )
    assert response.json() == {"error": "invalid_token", "error_description": "the access token is invalid"}


@pytest.mark.parametrize(("url", "needed"), [("/api/write", "read write"), ("/api/async-write", "write")])
def test_missing_scope_is_403_insufficient_scope(
    client: HttpClient, make_token: Callable[..., str], url: str, needed: str
) -> None:
    token = make_token(scope="read")
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="oauth2", error="insufficient_scope"')
    assert challenge.endswith(f'scope="{needed}"')
    body = response.json()
    assert body["error"] == "insufficient_scope"
    assert body["scope"] == needed


def test_decorator_scope_check(client: HttpClient, make_token: Callable[..., str]) -> None:
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {make_token(scope='write')}").status_code == 403
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {make_token(scope='read')}").status_code == 200
    assert client.get("/api/any", HTTP_AUTHORIZATION=f"Bearer {make_token(scope='')}").status_code == 200


def test_mixin_and_async_views_pass_with_the_scope(client: HttpClient, make_token: Callable[..., str]) -> None:
    token = make_token(scope="read write")
    for url in ("/api/write", "/api/async-write", "/api/async-me"):
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, url
        assert response.json()["scope"] == "read write"


def test_protected_views_are_csrf_exempt(make_token: Callable[..., str]) -> None:
    strict = HttpClient(enforce_csrf_checks=True)
    token = make_token()
    assert strict.post("/api/write", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert strict.post("/api/write").status_code == 401


def _plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("login-required", token_required("read")(_plain_view))]


@override_settings(
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
        "oauth2_django.middleware.BearerTokenMiddleware",
    ],
)
def test_login_required_middleware_leaves_token_views_alone(client: HttpClient, make_token: Callable[..., str]) -> None:
    assert client.get("/login-required").status_code == 401
    assert client.get("/login-required", HTTP_AUTHORIZATION=f"Bearer {make_token(client_only=True)}").status_code == 200


def test_without_the_middleware_it_says_what_to_add(rf: RequestFactory) -> None:
    with pytest.raises(ImproperlyConfigured, match="BearerTokenMiddleware"):
        token_required("read")(_plain_view)(rf.get("/"))


def test_scope_names_must_be_strings() -> None:
    with pytest.raises(TypeError, match="scope names"):
        token_required("read", 3)  # type: ignore[call-overload]
