"""The real admin, as a superuser: secrets shown once, no digest or token ever on a page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client as HttpClient

from oauth2_core.tokens import digest
from oauth2_django.models import AccessToken, Client, ClientSecret, RefreshToken, Scope

from .conftest import Registered

pytestmark = pytest.mark.django_db

SECRET_IN_MESSAGE = re.compile(r"o2cs_[A-Za-z0-9_-]{43}")


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _secret_from(response: Any) -> str:
    found = [match for message in _messages(response) for match in SECRET_IN_MESSAGE.findall(message)]
    assert len(found) == 1, _messages(response)
    return found[0]


def _inline_management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _client_form(scopes: dict[str, Scope], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Admin-made",
        "client_id": "admin-made",
        "client_type": "confidential",
        "grant_types": ["password", "refresh_token"],
        "scopes": [scopes["read"].pk],
        "redirect_uri": "",
        "owner": "",
        "is_active": "on",
        **_inline_management("secrets", 0),
    }
    data.update(overrides)
    return data


def test_adding_a_confidential_client_shows_a_secret_once(admin_client: HttpClient, scopes: dict[str, Scope]) -> None:
    response = admin_client.post("/admin/oauth2/client/add/", _client_form(scopes), follow=True)
    assert response.status_code == 200
    client = Client.objects.get(client_id="admin-made")
    assert client.grant_types == ["password", "refresh_token"]
    secret = _secret_from(response)
    stored = client.secrets.get()
    assert stored.digest == digest(secret)
    assert secret in response.content.decode()
    # The next page no longer has it.
    again = admin_client.get(f"/admin/oauth2/client/{client.pk}/change/")
    page = again.content.decode()
    assert secret not in page
    assert stored.digest not in page
    assert stored.display in page


def test_secret_added_through_the_inline_is_generated_and_shown_once(
    admin_client: HttpClient, registered: Registered, scopes: dict[str, Scope]
) -> None:
    client = registered.client
    existing = client.secrets.get()
    data = _client_form(
        scopes,
        name=client.name,
        client_id=client.client_id,
        **_inline_management("secrets", 2, initial=1),
        **{
            "secrets-0-id": str(existing.pk),
            "secrets-0-client": str(client.pk),
            "secrets-0-label": "",
            "secrets-0-expires_at_0": "",
            "secrets-0-expires_at_1": "",
            "secrets-1-id": "",
            "secrets-1-client": str(client.pk),
            "secrets-1-label": "new server",
            "secrets-1-expires_at_0": "",
            "secrets-1-expires_at_1": "",
        },
    )
    response = admin_client.post(f"/admin/oauth2/client/{client.pk}/change/", data, follow=True)
    assert response.status_code == 200, response.content
    secret = _secret_from(response)
    added = client.secrets.get(label="new server")
    assert added.digest == digest(secret)
    assert client.secrets.count() == 2


def test_inline_row_left_empty_still_creates_a_secret(
    admin_client: HttpClient, registered: Registered, scopes: dict[str, Scope]
) -> None:
    client = registered.client
    existing = client.secrets.get()
    data = _client_form(
        scopes,
        name=client.name,
        client_id=client.client_id,
        **_inline_management("secrets", 2, initial=1),
        **{"secrets-0-id": str(existing.pk), "secrets-0-client": str(client.pk), "secrets-1-client": str(client.pk)},
    )
    response = admin_client.post(f"/admin/oauth2/client/{client.pk}/change/", data, follow=True)
    assert response.status_code == 200
    assert client.secrets.count() == 2
    _secret_from(response)


def test_client_form_refuses_a_grant_that_is_not_enabled(admin_client: HttpClient, scopes: dict[str, Scope]) -> None:
    response = admin_client.post("/admin/oauth2/client/add/", _client_form(scopes, grant_types=["implicit"]))
    assert response.status_code == 200
    assert not Client.objects.filter(client_id="admin-made").exists()
    assert "implicit" in response.content.decode()


def test_public_client_gets_no_secret(admin_client: HttpClient, scopes: dict[str, Scope]) -> None:
    response = admin_client.post(
        "/admin/oauth2/client/add/", _client_form(scopes, client_type="public", grant_types=["password"]), follow=True
    )
    assert response.status_code == 200
    assert not Client.objects.get(client_id="admin-made").secrets.exists()
    assert not any(SECRET_IN_MESSAGE.search(message) for message in _messages(response))


def test_generate_secret_action(admin_client: HttpClient, registered: Registered) -> None:
    response = admin_client.post(
        "/admin/oauth2/client/",
        {"action": "generate_secret", "_selected_action": [registered.client.pk]},
        follow=True,
    )
    secret = _secret_from(response)
    assert registered.client.secrets.filter(digest=digest(secret)).exists()


def test_secret_admin_add_shows_the_secret_once(admin_client: HttpClient, registered: Registered) -> None:
    response = admin_client.post(
        "/admin/oauth2/clientsecret/add/",
        {"client": registered.client.pk, "label": "ci", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    secret = _secret_from(response)
    created = ClientSecret.objects.get(label="ci")
    assert created.digest == digest(secret)
    listing = admin_client.get("/admin/oauth2/clientsecret/").content.decode()
    assert created.display in listing
    for stored in ClientSecret.objects.all():
        assert stored.digest not in listing
    detail = admin_client.get(f"/admin/oauth2/clientsecret/{created.pk}/change/").content.decode()
    assert created.digest not in detail
    assert secret not in detail


def test_token_pages_show_display_prefixes_only(
    admin_client: HttpClient, password_tokens: Callable[..., dict[str, Any]]
) -> None:
    tokens = password_tokens()
    access = AccessToken.objects.get()
    refresh = RefreshToken.objects.get()
    pages = [
        admin_client.get("/admin/oauth2/accesstoken/"),
        admin_client.get(f"/admin/oauth2/accesstoken/{access.pk}/change/"),
        admin_client.get("/admin/oauth2/refreshtoken/"),
        admin_client.get(f"/admin/oauth2/refreshtoken/{refresh.pk}/change/"),
        admin_client.get("/admin/oauth2/accesstoken/", {"q": access.display}),
    ]
    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        for forbidden in (tokens["access_token"], tokens["refresh_token"], access.digest, refresh.digest):
            assert forbidden not in page
    assert access.display in pages[0].content.decode()
    assert refresh.display in pages[2].content.decode()


def test_tokens_are_read_only(admin_client: HttpClient, password_tokens: Callable[..., dict[str, Any]]) -> None:
    password_tokens()
    access = AccessToken.objects.get()
    assert admin_client.get("/admin/oauth2/accesstoken/add/").status_code == 403
    detail = admin_client.get(f"/admin/oauth2/accesstoken/{access.pk}/change/").content.decode()
    assert 'name="_save"' not in detail
    response = admin_client.post(f"/admin/oauth2/accesstoken/{access.pk}/change/", {"scope": "admin"})
    assert response.status_code == 403
    access.refresh_from_db()
    assert access.scope == "read write"


def test_revoke_actions(
    admin_client: HttpClient, password_tokens: Callable[..., dict[str, Any]], client: HttpClient
) -> None:
    first = password_tokens()
    second = password_tokens()
    target = AccessToken.objects.get(display=first["access_token"][:9])
    admin_client.post("/admin/oauth2/accesstoken/", {"action": "revoke", "_selected_action": [target.pk]})
    target.refresh_from_db()
    assert target.revoked_at is not None
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").status_code == 401
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {second['access_token']}").status_code == 200

    family = RefreshToken.objects.get(display=second["refresh_token"][:9])
    admin_client.post("/admin/oauth2/refreshtoken/", {"action": "revoke_families", "_selected_action": [family.pk]})
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {second['access_token']}").status_code == 401
    assert RefreshToken.objects.get(pk=family.pk).revoked_at is not None


def test_scope_admin(admin_client: HttpClient, db: None) -> None:
    response = admin_client.post("/admin/oauth2/scope/add/", {"name": "profile", "description": "Your profile"})
    assert response.status_code == 302
    assert Scope.objects.filter(name="profile").exists()
    response = admin_client.post("/admin/oauth2/scope/add/", {"name": "bad scope", "description": ""})
    assert response.status_code == 200
    assert not Scope.objects.filter(name="bad scope").exists()
