"""Independent OAuth 2.0 client libraries against the served example: password grant, refresh, the API.

requests-oauthlib and Authlib were written against the RFCs, not against this
server, so a token they can obtain, refresh and use is interoperability, not
agreement with our own test code.
"""

from __future__ import annotations

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from e2e_support import Accounts, ExampleServer, assert_oauth_error, json_body
from oauthlib.oauth2 import LegacyApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session


def _me(server: ExampleServer, access_token: str) -> requests.Response:
    return requests.get(server.me_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=30)


def test_requests_oauthlib_password_grant_refresh_and_api(
    server: ExampleServer, accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    # oauthlib refuses plain HTTP unless told; the server listens on loopback only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    client = accounts.confidential
    assert client.secret is not None
    session = OAuth2Session(client=LegacyApplicationClient(client_id=client.client_id))

    first = session.fetch_token(
        server.token_url,
        username=accounts.username,
        password=accounts.password,
        client_id=client.client_id,
        client_secret=client.secret,
    )
    assert first["token_type"].lower() == "bearer"
    assert first["scope"] == ["read"], "no scope was asked for, so the configured default applies"
    assert first["refresh_token"]

    answer = session.get(server.me_url, timeout=30)
    assert json_body(answer) == {"user": accounts.username, "client": client.client_id, "scope": "read"}

    second = session.refresh_token(server.token_url, auth=HTTPBasicAuth(client.client_id, client.secret))
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == ["read"]
    assert json_body(session.get(server.me_url, timeout=30))["user"] == accounts.username

    # Rotation retired the first access token along with its refresh token.
    assert_oauth_error(_me(server, first["access_token"]), 401, "invalid_token")

    # Replaying the consumed refresh token is reuse: refused, and the whole
    # family, including the tokens just issued, is revoked (RFC 9700 4.14.2).
    replay = requests.post(
        server.token_url,
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(client.client_id, client.secret),
        timeout=30,
    )
    assert_oauth_error(replay, 400, "invalid_grant")
    assert_oauth_error(_me(server, second["access_token"]), 401, "invalid_token")


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_password_grant_refresh_and_api(server: ExampleServer, accounts: Accounts, method: str) -> None:
    client = accounts.confidential
    with AuthlibSession(
        client.client_id, client.secret, token_endpoint_auth_method=method, scope="read write"
    ) as session:
        first = session.fetch_token(
            server.token_url, grant_type="password", username=accounts.username, password=accounts.password
        )
        assert first["scope"] == "read write"
        me = json_body(session.get(server.me_url, timeout=30))
        assert me == {"user": accounts.username, "client": client.client_id, "scope": "read write"}

        second = session.refresh_token(server.token_url)
        assert second["access_token"] != first["access_token"]
        assert second["scope"] == "read write", "a refresh without scope keeps the original scope"
        assert json_body(session.get(server.me_url, timeout=30))["scope"] == "read write"

        # Narrowing the scope on refresh is allowed (RFC 6749 6); widening is not.
        third = session.refresh_token(server.token_url, scope="read")
        assert third["scope"] == "read"
        assert json_body(session.get(server.me_url, timeout=30))["scope"] == "read"


def test_authlib_wrong_secret_is_invalid_client(server: ExampleServer, accounts: Accounts) -> None:
    for method in ("client_secret_basic", "client_secret_post"):
        with (
            AuthlibSession(
                accounts.confidential.client_id, "o2cs_not-the-secret", token_endpoint_auth_method=method
            ) as session,
            pytest.raises(Exception, match="invalid_client"),
        ):
            session.fetch_token(
                server.token_url, grant_type="password", username=accounts.username, password=accounts.password
            )
