"""The example grant through the whole token endpoint, loaded from its entry point over the in-memory host."""

from __future__ import annotations

import pytest

from oauth2_core import Server
from oauth2_grant_example import GRANT_TYPE
from oauth2_testing.client import TokenClient
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.servers import MemoryServerFactory


@pytest.fixture
def oauth2_server(oauth2_server_factory: MemoryServerFactory) -> Server:
    # By entry-point name, as a host enables it: this fails if pyproject.toml does not declare it.
    return oauth2_server_factory(["example"], access_token_lifetime=3600)


@pytest.fixture
def secret(oauth2_memory_host: MemoryHost) -> str:
    """The secret of ``app``, a confidential client allowed the example grant and scopes read and write."""
    value = oauth2_memory_host.add_client("app", grant_types=(GRANT_TYPE,))
    assert value is not None
    return value


def test_issues_a_client_token_with_the_lifetime_asked_for(
    oauth2_token_client: TokenClient, oauth2_memory_store: MemoryTokenStore, secret: str
) -> None:
    response = oauth2_token_client.post({"grant_type": GRANT_TYPE, "lifetime": "90"}, basic=("app", secret))
    assert response.status == 200, response.json()
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 90
    assert "refresh_token" not in body
    (record,) = oauth2_memory_store.access.values()
    assert (record.client_id, record.user_id) == ("app", None)


def test_scope_is_limited_to_the_client(oauth2_token_client: TokenClient, secret: str) -> None:
    form = {"grant_type": GRANT_TYPE, "lifetime": "5"}
    granted = oauth2_token_client.post({**form, "scope": "read"}, basic=("app", secret))
    assert granted.json()["scope"] == "read"
    refused = oauth2_token_client.post({**form, "scope": "admin"}, basic=("app", secret))
    assert (refused.status, refused.json()["error"]) == (400, "invalid_scope")


def test_bad_lifetime_is_invalid_request(oauth2_token_client: TokenClient, secret: str) -> None:
    response = oauth2_token_client.post({"grant_type": GRANT_TYPE, "lifetime": "999"}, basic=("app", secret))
    assert (response.status, response.json()["error"]) == (400, "invalid_request")


def test_public_client_is_refused(oauth2_token_client: TokenClient, oauth2_memory_host: MemoryHost) -> None:
    oauth2_memory_host.add_client("spa", confidential=False, grant_types=(GRANT_TYPE,))
    response = oauth2_token_client.post({"grant_type": GRANT_TYPE, "lifetime": "60"}, client_id="spa")
    assert (response.status, response.json()["error"]) == (401, "invalid_client")


def test_client_not_allowed_the_grant_is_refused(
    oauth2_token_client: TokenClient, oauth2_memory_host: MemoryHost
) -> None:
    other = oauth2_memory_host.add_client("other", grant_types=("password",))
    assert other is not None
    response = oauth2_token_client.post({"grant_type": GRANT_TYPE, "lifetime": "60"}, basic=("other", other))
    assert (response.status, response.json()["error"]) == (400, "unauthorized_client")
