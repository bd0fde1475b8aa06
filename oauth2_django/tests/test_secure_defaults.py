"""Secure defaults: HTTPS, expiry and revocation at their exact instant, secrets for the grants that need them.

Boundaries are tested with the server's injectable clock (the Django model
path: the host reads the rows, the core compares) and with
``bearer.find``'s explicit time for the middleware's check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone

from oauth2_core import (
    Authorization,
    Client,
    ClientAuthentication,
    Grant,
    GrantContext,
    GrantRequest,
    Server,
    ServerConfig,
    TokenRequest,
    TokenResponse,
    build_server,
    handle_token_request,
    hookimpl,
)
from oauth2_core.form import FORM_CONTENT_TYPE
from oauth2_django import bearer, host, signals, store, throttle
from oauth2_django.models import AccessToken, ClientSecret, RefreshToken
from oauth2_testing.client import basic_authorization

from .conftest import PASSWORD, Registered, post_token, server_setting

pytestmark = pytest.mark.django_db


def _password_form(registered: Registered, user: User) -> dict[str, str]:
    return {
        "grant_type": "password",
        "username": user.username,
        "password": PASSWORD,
        "client_id": registered.client_id,
        "client_secret": registered.secret or "",
    }


def _server(*grants: str, clock: Callable[[], datetime], plugins: Sequence[object] = ()) -> Server:
    """A server over the Django host and store with a clock the test sets, and only ``grants`` loaded."""
    return build_server(
        ServerConfig(grants=grants, plugins=()), [host, store, signals, throttle, *plugins], clock=clock
    )


def _post(server: Server, form: Mapping[str, str], authorization: str | None = None) -> TokenResponse:
    return handle_token_request(
        server, TokenRequest("POST", FORM_CONTENT_TYPE, authorization, urlencode(form).encode(), "192.0.2.1")
    )


# -- HTTPS ----------------------------------------------------------------------------------------


def test_forwarded_proto_is_not_trusted_without_the_proxy_setting(
    client: HttpClient, registered: Registered, user: User
) -> None:
    response = post_token(client, _password_form(registered, user), secure=False, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 400
    assert "HTTPS" in response.json()["error_description"]
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("forwarded", [{"HTTP_X_FORWARDED_PROTO": "http"}, {}], ids=["says-http", "absent"])
def test_behind_a_proxy_only_forwarded_https_counts(
    client: HttpClient, registered: Registered, user: User, forwarded: dict[str, str]
) -> None:
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        response = post_token(client, _password_form(registered, user), secure=False, **forwarded)
    assert response.status_code == 400
    assert not AccessToken.objects.exists()


def test_explicit_require_https_holds_even_in_debug(client: HttpClient, registered: Registered, user: User) -> None:
    with override_settings(DEBUG=True, OAUTH2_SERVER=server_setting(REQUIRE_HTTPS=True)):
        assert post_token(client, _password_form(registered, user), secure=False).status_code == 400
        assert post_token(client, _password_form(registered, user), secure=True).status_code == 200


# -- client secrets expire at their instant -----------------------------------------------------------


def test_client_secret_is_refused_from_its_expiry_instant(registered: Registered, user: User) -> None:
    expires_at = timezone.now().replace(microsecond=123456) + timedelta(days=1)
    ClientSecret.objects.filter(client=registered.client).update(expires_at=expires_at)
    basic = basic_authorization(registered.client_id, registered.secret or "")
    form = {"grant_type": "password", "username": user.username, "password": PASSWORD}
    before = _post(_server("password", clock=lambda: expires_at - timedelta(microseconds=1)), form, basic)
    assert before.status == 200, before.json()
    for instant in (expires_at, expires_at + timedelta(microseconds=1)):
        refused = _post(_server("password", clock=lambda instant=instant: instant), form, basic)  # type: ignore[misc]
        assert (refused.status, refused.json()["error"]) == (401, "invalid_client")


# -- refresh tokens expire at their instant -------------------------------------------------------------


def test_refresh_token_is_refused_from_its_expiry_instant(registered: Registered, user: User) -> None:
    issued_at = timezone.now().replace(microsecond=0)
    server = _server("password", "refresh_token", clock=lambda: issued_at)
    basic = basic_authorization(registered.client_id, registered.secret or "")
    tokens = _post(server, {"grant_type": "password", "username": user.username, "password": PASSWORD}, basic).json()
    expires_at = RefreshToken.objects.get().expires_at
    assert expires_at is not None
    form = {"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])}
    for instant in (expires_at, expires_at + timedelta(microseconds=1)):
        late = _post(_server("refresh_token", clock=lambda instant=instant: instant), form, basic)  # type: ignore[misc]
        assert late.json()["error"] == "invalid_grant"
    on_time = _post(_server("refresh_token", clock=lambda: expires_at - timedelta(microseconds=1)), form, basic)
    assert on_time.status == 200, on_time.json()


# -- access tokens: expiry and revocation as the middleware sees them -------------------------------------


def test_access_token_is_refused_from_its_expiry_instant(registered: Registered, user: User) -> None:
    issued_at = timezone.now().replace(microsecond=0)
    server = _server("password", clock=lambda: issued_at)
    basic = basic_authorization(registered.client_id, registered.secret or "")
    token = str(
        _post(server, {"grant_type": "password", "username": user.username, "password": PASSWORD}, basic).json()[
            "access_token"
        ]
    )
    expires_at = issued_at + timedelta(seconds=server.config.access_token_lifetime)
    assert AccessToken.objects.get().expires_at == expires_at
    assert isinstance(bearer.find(token, expires_at - timedelta(microseconds=1)), bearer.Found)
    assert bearer.find(token, expires_at) is bearer.EXPIRED


def test_rotation_revokes_the_old_access_token_for_the_very_next_request(
    client: HttpClient, registered: Registered, user: User
) -> None:
    first = post_token(client, _password_form(registered, user)).json()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").status_code == 200
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": registered.client_id,
        "client_secret": registered.secret or "",
    }
    second = post_token(client, refresh).json()
    old = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}")
    assert old.status_code == 401
    assert old.json()["error_description"] == "the access token was revoked"
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {second['access_token']}").status_code == 200


def test_any_revocation_mark_refuses_even_one_dated_in_the_future(
    client: HttpClient, make_token: Callable[..., str]
) -> None:
    token = make_token()
    AccessToken.objects.update(revoked_at=timezone.now() + timedelta(days=1))
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


# -- public clients and grants that need a secret ----------------------------------------------------------


class NeedsSecretGrant(Grant):
    """A grant only an authenticated client may use (ClientAuthentication.REQUIRED), and nothing else."""

    grant_type: ClassVar[str] = "urn:example:needs-secret"
    client_authentication: ClassVar[ClientAuthentication] = ClientAuthentication.REQUIRED

    def parse_token_request(self, form: Mapping[str, str]) -> GrantRequest:
        return GrantRequest(self.grant_type, None)

    def validate_token_request(
        self, request: GrantRequest, client: Client | None, context: GrantContext
    ) -> Authorization:
        if client is None:
            raise TypeError("the endpoint authenticates the client for this grant")
        return Authorization(client, None, frozenset())


class NeedsSecretPlugin:
    @hookimpl
    def oauth2_grant_types(self, config: ServerConfig) -> Sequence[Grant]:
        return (NeedsSecretGrant(),)


@pytest.fixture
def needs_secret_server() -> Server:
    return _server(clock=timezone.now, plugins=[NeedsSecretPlugin()])


def test_public_client_cannot_use_a_grant_that_needs_a_secret(
    needs_secret_server: Server, make_client: Callable[..., Registered]
) -> None:
    # Created without clean(), as a data migration or raw SQL could: the endpoint still refuses.
    public = make_client(public=True, grant_types=(NeedsSecretGrant.grant_type,))
    form = {"grant_type": NeedsSecretGrant.grant_type}
    attempts = [
        _post(needs_secret_server, {**form, "client_id": public.client_id}),
        _post(needs_secret_server, {**form, "client_id": public.client_id, "client_secret": "o2cs_made_up"}),
        _post(needs_secret_server, form, basic_authorization(public.client_id, "")),
    ]
    for response in attempts:
        assert (response.status, response.json()["error"]) == (401, "invalid_client")
    assert not AccessToken.objects.exists()


def test_confidential_client_with_its_secret_may_use_it(
    needs_secret_server: Server, make_client: Callable[..., Registered]
) -> None:
    confidential = make_client(grant_types=(NeedsSecretGrant.grant_type,))
    response = _post(
        needs_secret_server,
        {"grant_type": NeedsSecretGrant.grant_type},
        basic_authorization(confidential.client_id, confidential.secret or ""),
    )
    assert response.status == 200, response.json()
    without_secret = _post(
        needs_secret_server, {"grant_type": NeedsSecretGrant.grant_type, "client_id": confidential.client_id}
    )
    assert without_secret.status == 401
