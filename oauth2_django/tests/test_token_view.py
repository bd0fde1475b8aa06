"""The token endpoint through Django: flows, JSON errors, URLs, CSRF, HTTPS, settings changes, outages."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from django.test import Client as HttpClient
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter

from oauth2_django import views
from oauth2_django.models import AccessToken, RefreshToken

from .conftest import FORM, PASSWORD, TOKEN_URL, Registered, post_token, server_setting

pytestmark = pytest.mark.django_db


def _password_form(registered: Registered, user: User, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "password",
        "username": user.username,
        "password": PASSWORD,
        "client_id": registered.client_id,
        "client_secret": registered.secret or "",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value}


def _assert_json_error(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body: dict[str, Any] = json.loads(response.content)
    assert body["error"] == error, body
    return body


# -- flows -----------------------------------------------------------------------


def test_password_grant_issues_stored_tokens(
    token_post: Callable[..., Any], registered: Registered, user: User
) -> None:
    response = token_post(_password_form(registered, user, scope="read"))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read"
    assert body["expires_in"] == 3600
    access = AccessToken.objects.get()
    assert access.user == user
    assert access.client_id == registered.client_id
    assert access.scope == "read"
    assert body["access_token"].startswith(access.display)
    assert body["access_token"] not in {access.digest, access.display}
    refresh = RefreshToken.objects.get()
    assert refresh.access_digest == access.digest
    assert refresh.family_id == access.family_id


def test_default_scope_comes_from_settings(token_post: Callable[..., Any], registered: Registered, user: User) -> None:
    body = token_post(_password_form(registered, user)).json()
    assert body["scope"] == "read"


def test_basic_authentication_works(token_post: Callable[..., Any], registered: Registered, user: User) -> None:
    form = _password_form(registered, user)
    del form["client_id"], form["client_secret"]
    basic = base64.b64encode(f"{registered.client_id}:{registered.secret}".encode()).decode()
    response = token_post(form, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content


def test_public_client_gets_no_refresh_token(
    token_post: Callable[..., Any], make_client: Callable[..., Registered], user: User
) -> None:
    public = make_client(public=True)
    body = token_post(_password_form(public, user)).json()
    assert "access_token" in body
    assert "refresh_token" not in body


def test_wrong_password_is_invalid_grant(token_post: Callable[..., Any], registered: Registered, user: User) -> None:
    _assert_json_error(token_post(_password_form(registered, user, password="wrong")), 400, "invalid_grant")
    assert not AccessToken.objects.exists()


def test_inactive_user_is_refused(token_post: Callable[..., Any], registered: Registered, user: User) -> None:
    user.is_active = False
    user.save()
    _assert_json_error(token_post(_password_form(registered, user)), 400, "invalid_grant")


def test_wrong_secret_is_invalid_client(token_post: Callable[..., Any], registered: Registered, user: User) -> None:
    response = token_post(_password_form(registered, user, client_secret="o2cs_wrong"))
    _assert_json_error(response, 401, "invalid_client")
    assert response["WWW-Authenticate"].startswith("Basic")


def test_inactive_client_is_invalid_client(token_post: Callable[..., Any], registered: Registered, user: User) -> None:
    registered.client.is_active = False
    registered.client.save()
    _assert_json_error(token_post(_password_form(registered, user)), 401, "invalid_client")


def test_expired_secret_is_refused_and_another_secret_works(
    token_post: Callable[..., Any], registered: Registered, user: User
) -> None:
    from django.utils import timezone

    registered.client.secrets.update(expires_at=timezone.now())
    _assert_json_error(token_post(_password_form(registered, user)), 401, "invalid_client")
    _, second = registered.client.add_secret(label="rotation")
    assert token_post(_password_form(registered, user, client_secret=second)).status_code == 200


def test_grant_not_allowed_for_client_is_unauthorized_client(
    token_post: Callable[..., Any], make_client: Callable[..., Registered], user: User
) -> None:
    refresh_only = make_client(grant_types=("refresh_token",))
    _assert_json_error(token_post(_password_form(refresh_only, user)), 400, "unauthorized_client")


def test_scope_beyond_client_is_invalid_scope(
    token_post: Callable[..., Any], registered: Registered, user: User
) -> None:
    _assert_json_error(token_post(_password_form(registered, user, scope="read admin")), 400, "invalid_scope")


def test_refresh_rotates_and_reuse_revokes_the_family(
    token_post: Callable[..., Any], registered: Registered, password_tokens: Callable[..., dict[str, Any]]
) -> None:
    first = password_tokens()
    refresh_form = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": registered.client_id,
        "client_secret": registered.secret or "",
    }
    response = token_post(refresh_form)
    assert response.status_code == 200, response.content
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == "read write"
    old = RefreshToken.objects.get(display=first["refresh_token"][:9])
    assert old.consumed_at is not None
    assert AccessToken.objects.get(display=first["access_token"][:9]).revoked_at is not None

    _assert_json_error(token_post(refresh_form), 400, "invalid_grant")
    assert not AccessToken.objects.filter(revoked_at__isnull=True).exists()
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()


def test_refresh_may_narrow_the_scope_but_not_widen_it(
    token_post: Callable[..., Any], registered: Registered, password_tokens: Callable[..., dict[str, Any]]
) -> None:
    first = password_tokens(scope="read")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": registered.client_id,
        "client_secret": registered.secret or "",
    }
    _assert_json_error(token_post({**form, "scope": "read write"}), 400, "invalid_scope")
    narrowed = token_post({**form, "scope": "read"})
    assert narrowed.status_code == 200, narrowed.content


def test_refresh_token_of_another_client_is_refused(
    token_post: Callable[..., Any],
    make_client: Callable[..., Registered],
    password_tokens: Callable[..., dict[str, Any]],
) -> None:
    tokens = password_tokens()
    other = make_client(name="other")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": other.client_id,
        "client_secret": other.secret or "",
    }
    _assert_json_error(token_post(form), 400, "invalid_grant")


# -- malformed input: always JSON --------------------------------------------------


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "options", "head"])
def test_methods_other_than_post_are_json_405(client: HttpClient, method: str) -> None:
    response = getattr(client, method)(TOKEN_URL, secure=True)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    if method != "head":
        assert json.loads(response.content)["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "error"),
    [
        (b"", FORM, 400, "invalid_request"),
        (b"grant_type=password&grant_type=password", FORM, 400, "invalid_request"),
        (b"grant_type=%ZZ", FORM, 400, "invalid_request"),
        (b"grant_type=\xff\xfe", FORM, 400, "invalid_request"),
        (b'{"grant_type": "password"}', "application/json", 400, "invalid_request"),
        (b"grant_type=password", "text/plain", 400, "invalid_request"),
        (b"grant_type=password", f"{FORM}; charset=latin-1", 400, "invalid_request"),
        (b"grant_type=client_credentials&client_id=x", FORM, 400, "unsupported_grant_type"),
    ],
)
def test_bad_requests_are_json_errors(
    client: HttpClient, body: bytes, content_type: str, status: int, error: str
) -> None:
    response = client.post(TOKEN_URL, body, content_type=content_type, secure=True)
    _assert_json_error(response, status, error)


def test_multipart_body_is_a_json_error(client: HttpClient) -> None:
    response = client.post(TOKEN_URL, {"grant_type": "password"}, secure=True)
    _assert_json_error(response, 400, "invalid_request")


def test_oversized_body_is_refused_before_reading(client: HttpClient) -> None:
    body = b"grant_type=password&junk=" + b"a" * 20_000
    _assert_json_error(client.post(TOKEN_URL, body, content_type=FORM, secure=True), 413, "invalid_request")


def test_body_over_django_limit_is_json_413(client: HttpClient) -> None:
    body = b"grant_type=password&junk=" + b"a" * 3_000_000
    with override_settings(OAUTH2_SERVER=server_setting(MAX_BODY_BYTES=4_000_000)):
        _assert_json_error(client.post(TOKEN_URL, body, content_type=FORM, secure=True), 413, "invalid_request")


@override_settings(OAUTH2_SERVER=server_setting(MAX_BODY_BYTES=2048))
def test_max_body_bytes_setting_applies(client: HttpClient) -> None:
    body = b"grant_type=password&junk=" + b"a" * 3000
    _assert_json_error(client.post(TOKEN_URL, body, content_type=FORM, secure=True), 413, "invalid_request")


def test_bad_content_length_is_json_400(rf: RequestFactory) -> None:
    request = rf.post(TOKEN_URL, b"grant_type=password", content_type=FORM, secure=True)
    request.META["CONTENT_LENGTH"] = "lots"
    _assert_json_error(views.token(request), 400, "invalid_request")


# -- URL, CSRF, HTTPS ---------------------------------------------------------------


def test_url_is_namespaced_and_answers_with_and_without_slash(
    client: HttpClient, registered: Registered, user: User
) -> None:
    assert reverse("oauth2:token") == TOKEN_URL
    for path in (TOKEN_URL, TOKEN_URL + "/"):
        response = post_token(client, _password_form(registered, user), path=path)
        assert response.status_code == 200, (path, response.status_code)


def test_token_endpoint_is_csrf_exempt(registered: Registered, user: User) -> None:
    strict = HttpClient(enforce_csrf_checks=True)
    assert post_token(strict, _password_form(registered, user)).status_code == 200


def test_plain_http_is_refused_by_default(client: HttpClient, registered: Registered, user: User) -> None:
    response = post_token(client, _password_form(registered, user), secure=False)
    body = _assert_json_error(response, 400, "invalid_request")
    assert "HTTPS" in body["error_description"]
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [{"OAUTH2_SERVER": server_setting(REQUIRE_HTTPS=False)}, {"DEBUG": True}],
    ids=["disabled", "debug-default"],
)
def test_plain_http_allowed_when_disabled_or_debugging(
    client: HttpClient, registered: Registered, user: User, overrides: dict[str, Any]
) -> None:
    with override_settings(**overrides):
        response = post_token(client, _password_form(registered, user), secure=False)
    assert response.status_code == 200, response.content


def test_forwarded_https_counts_when_the_proxy_header_is_configured(
    client: HttpClient, registered: Registered, user: User
) -> None:
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        response = post_token(client, _password_form(registered, user), secure=False, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200, response.content


# -- sensitive parameters --------------------------------------------------------------


def test_sensitive_post_parameters_come_from_the_enabled_grants(
    rf: RequestFactory, registered: Registered, user: User
) -> None:
    request = rf.post(TOKEN_URL, _password_form(registered, user), secure=True)
    views.token(request)
    hidden = set(request.sensitive_post_parameters)  # type: ignore[attr-defined]
    assert {"client_secret", "password", "refresh_token"} <= hidden
    assert "username" not in hidden
    cleaned = SafeExceptionReporterFilter().get_post_parameters(request)
    assert cleaned["password"] != PASSWORD
    assert cleaned["client_secret"] != registered.secret
    assert cleaned["username"] == user.username


@override_settings(OAUTH2_SERVER={"GRANTS": ["password"]})
def test_sensitive_parameters_follow_the_grants_setting(rf: RequestFactory) -> None:
    request = rf.post(TOKEN_URL, {"grant_type": "password"}, secure=True)
    views.token(request)
    assert set(request.sensitive_post_parameters) == {"client_secret", "password"}  # type: ignore[attr-defined]


# -- settings changes take effect -----------------------------------------------------


def test_override_settings_changes_grants_and_lifetimes(
    token_post: Callable[..., Any], registered: Registered, user: User, password_tokens: Callable[..., dict[str, Any]]
) -> None:
    tokens = password_tokens()
    refresh_form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": registered.client_id,
        "client_secret": registered.secret or "",
    }
    with override_settings(OAUTH2_SERVER={"GRANTS": ["password"], "ACCESS_TOKEN_LIFETIME": 60}):
        _assert_json_error(token_post(refresh_form), 400, "unsupported_grant_type")
        body = token_post(_password_form(registered, user)).json()
        assert body["expires_in"] == 60
    body = token_post(refresh_form).json()
    assert body["expires_in"] == 3600


def test_refresh_token_lifetime_setting(token_post: Callable[..., Any], registered: Registered, user: User) -> None:
    from datetime import timedelta

    with override_settings(OAUTH2_SERVER=server_setting(REFRESH_TOKEN_LIFETIME=timedelta(days=2))):
        token_post(_password_form(registered, user))
    refresh = RefreshToken.objects.get()
    assert refresh.expires_at is not None
    assert timedelta(days=2) - timedelta(minutes=1) < refresh.expires_at - refresh.created_at <= timedelta(days=2)


# -- outages: JSON 503, no token ------------------------------------------------------------


def test_database_error_is_json_503_with_retry_after(client: HttpClient, registered: Registered, user: User) -> None:
    def fail_writes(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_writes):
        response = post_token(client, _password_form(registered, user))
    body = _assert_json_error(response, 503, "temporarily_unavailable")
    assert response["Retry-After"].isdigit()
    assert "access_token" not in body
    assert not AccessToken.objects.exists()


def test_unexpected_failure_is_json_500(client: HttpClient) -> None:
    with override_settings(OAUTH2_SERVER={"GRANTS": ["no-such-grant"]}):
        response = post_token(client, {"grant_type": "password"})
    _assert_json_error(response, 500, "server_error")


# -- security events reach Django's signal ------------------------------------------------


def test_security_events_are_sent_as_a_django_signal(
    token_post: Callable[..., Any], registered: Registered, user: User
) -> None:
    from oauth2_django.signals import security_event

    received: list[Any] = []

    def receiver(sender: Any, event: Any, **kwargs: Any) -> None:
        received.append(event)

    security_event.connect(receiver)
    try:
        body = token_post(_password_form(registered, user)).json()
        token_post(_password_form(registered, user, password="wrong"))
    finally:
        security_event.disconnect(receiver)
    assert [event.kind for event in received] == ["token_issued", "token_refused"]
    issued, refused = received
    assert issued.client_id == registered.client_id
    assert issued.user_id == str(user.pk)
    assert issued.token == body["access_token"][:9]
    assert refused.reason.startswith("invalid_grant")
    for event in received:
        assert PASSWORD not in repr(event)
        assert body["access_token"] not in repr(event)
