"""The refresh grant asks the Django host whether the token's user may still sign in (``is_active``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from oauth2_django import host
from oauth2_django.models import AccessToken, RefreshToken

from .conftest import Registered

pytestmark = pytest.mark.django_db


def _refresh_form(registered: Registered, refresh_token: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": registered.client_id,
        "client_secret": registered.secret or "",
    }


def test_deactivated_user_cannot_refresh_until_reactivated(
    token_post: Callable[..., Any],
    password_tokens: Callable[..., dict[str, Any]],
    registered: Registered,
    user: User,
) -> None:
    tokens = password_tokens()
    user.is_active = False
    user.save()
    refused = token_post(_refresh_form(registered, tokens["refresh_token"]))
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "the refresh token is invalid, expired or revoked",
    }
    assert RefreshToken.objects.filter(consumed_at__isnull=True, revoked_at__isnull=True).count() == 1
    assert AccessToken.objects.count() == 1
    user.is_active = True
    user.save()
    assert token_post(_refresh_form(registered, tokens["refresh_token"])).status_code == 200


def test_host_hook_answers_from_the_user_model(registered: Registered, user: User) -> None:
    client = host.oauth2_host_find_client(registered.client_id)
    assert client is not None
    assert host.oauth2_refresh_user_active(user_id=str(user.pk), client=client) is True
    user.is_active = False
    user.save()
    assert host.oauth2_refresh_user_active(user_id=str(user.pk), client=client) is False
    assert host.oauth2_refresh_user_active(user_id=str(user.pk + 1000), client=client) is False
    assert host.oauth2_refresh_user_active(user_id="not-a-primary-key", client=client) is False
