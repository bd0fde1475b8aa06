"""Fixtures shared by the oauth2_django tests: users, scopes, clients and a token-endpoint helper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import connection
from django.test import Client as HttpClient

from oauth2_django.models import Client, Scope

PASSWORD = "correct horse battery staple"
TOKEN_URL = "/oauth2/access_token"
FORM = "application/x-www-form-urlencoded"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with OAUTH2_TEST_DB=postgres")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_default_cache() -> None:
    """Password-failure counters and replay memory live in the default (local-memory) cache: start each test empty."""
    caches["default"].clear()


def server_setting(**overrides: Any) -> dict[str, Any]:
    """The test OAUTH2_SERVER with some keys changed; GRANTS stays pinned, whatever else is installed."""
    from .settings import OAUTH2_SERVER

    return {**OAUTH2_SERVER, **overrides}


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class Registered:
    """A client as its developer knows it: the model row plus the secret shown once."""

    client: Client
    secret: str | None

    @property
    def client_id(self) -> str:
        return self.client.client_id


@pytest.fixture
def user(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("alice", "alice@example.com", PASSWORD)


@pytest.fixture
def scopes(db: None) -> dict[str, Scope]:
    return {name: Scope.objects.create(name=name) for name in ("read", "write", "admin")}


@pytest.fixture
def make_client(scopes: dict[str, Scope]) -> Callable[..., Registered]:
    def make(
        *,
        public: bool = False,
        grant_types: tuple[str, ...] = ("password", "refresh_token"),
        scope: tuple[str, ...] = ("read", "write"),
        name: str = "Test client",
    ) -> Registered:
        client = Client.objects.create(
            name=name,
            client_type=Client.ClientType.PUBLIC if public else Client.ClientType.CONFIDENTIAL,
            grant_types=list(grant_types),
        )
        client.scopes.set([scopes[name] for name in scope])
        secret = None if public else client.add_secret()[1]
        return Registered(client, secret)

    return make


@pytest.fixture
def registered(make_client: Callable[..., Registered]) -> Registered:
    return make_client()


def post_token(http: HttpClient, data: dict[str, str] | str | bytes, **extra: Any) -> Any:
    """POST a form to the token endpoint over HTTPS (the default requires it)."""
    body = data if isinstance(data, str | bytes) else urlencode(data)
    extra.setdefault("secure", True)
    path = extra.pop("path", TOKEN_URL)
    content_type = extra.pop("content_type", FORM)
    return http.post(path, body, content_type=content_type, **extra)


@pytest.fixture
def token_post(client: HttpClient) -> Callable[..., Any]:
    def send(data: dict[str, str] | str | bytes, **extra: Any) -> Any:
        return post_token(client, data, **extra)

    return send


@pytest.fixture
def password_tokens(
    token_post: Callable[..., Any], registered: Registered, user: User
) -> Callable[..., dict[str, Any]]:
    """Tokens for alice from the real password grant."""

    def obtain(scope: str = "read write") -> dict[str, Any]:
        assert registered.secret is not None
        response = token_post(
            {
                "grant_type": "password",
                "username": user.username,
                "password": PASSWORD,
                "scope": scope,
                "client_id": registered.client_id,
                "client_secret": registered.secret,
            }
        )
        assert response.status_code == 200, response.content
        body: dict[str, Any] = response.json()
        return body

    return obtain


@pytest.fixture
def make_token(registered: Registered, user: User) -> Callable[..., str]:
    """Store an access token directly and return its plaintext."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    from oauth2_core.tokens import ACCESS_TOKEN_PREFIX, digest, display_prefix, generate, new_family_id
    from oauth2_django.models import AccessToken

    def make(
        *,
        scope: str = "read write",
        owner: User | None = None,
        client_only: bool = False,
        expires_at: datetime | None = None,
        revoked: bool = False,
        client: Client | None = None,
    ) -> str:
        plaintext = generate(ACCESS_TOKEN_PREFIX)
        AccessToken.objects.create(
            digest=digest(plaintext),
            display=display_prefix(plaintext),
            client=client or registered.client,
            user=None if client_only else (owner or user),
            scope=scope,
            expires_at=expires_at or timezone.now() + timedelta(hours=1),
            revoked_at=timezone.now() if revoked else None,
            family_id=new_family_id(),
        )
        return plaintext

    return make
