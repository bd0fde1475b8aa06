"""How the benchmark drives django-oauth-toolkit: its Application model and its own token rows."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from benchcommon.fixture import CLIENT_ID, CLIENT_SECRET, SCOPE
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken
from oauthlib.common import generate_token

NAME = "django-oauth-toolkit"
TOKEN_PATH = "/o/token/"  # noqa: S105 - a URL path, not a secret
#: ``protected_resource`` answers a missing or unknown token with a bare 403.
INVALID_TOKEN_STATUS = 403


def create_client(user: Any) -> tuple[str, str]:
    """A confidential password-grant application; the toolkit hashes the secret on save (its default)."""
    Application.objects.create(
        user=user,
        name="bench",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_PASSWORD,
        hash_client_secret=True,
    )
    return CLIENT_ID, CLIENT_SECRET


def prepare_refresh_tokens(user: Any, count: int) -> list[str]:
    """Fresh refresh tokens shaped as the toolkit's validator saves them (checksum computed on save)."""
    application = Application.objects.get(client_id=CLIENT_ID)
    expires = timezone.now() + timedelta(hours=1)
    tokens = []
    for _ in range(count):
        access = AccessToken.objects.create(
            user=user, application=application, token=generate_token(), expires=expires, scope=SCOPE
        )
        raw = generate_token()
        RefreshToken.objects.create(
            user=user, application=application, token=raw, access_token=access, token_family=uuid.uuid4()
        )
        tokens.append(raw)
    return tokens


def invalid_token() -> str:
    """A well-formed token (oauthlib's default generator) that was never issued."""
    return generate_token()


def token_count() -> int:
    return AccessToken.objects.count()
