"""The password grant through the whole token endpoint, over the in-memory host (RFC 6749 4.3, 5.1, 5.2)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from oauth2_core import Client, Server, TokenResponse, hookimpl
from oauth2_core.tokens import digest
from oauth2_testing.client import TokenClient, header
from oauth2_testing.clock import FakeClock
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.servers import MemoryServerFactory

PASSWORD = "correct horse " + secrets.token_urlsafe(8)


class RecordingHost(MemoryHost):
    """The memory host, remembering who the password hook was asked about."""

    def __init__(self) -> None:
        super().__init__()
        self.password_checks: list[tuple[str, str]] = []

    @hookimpl(optionalhook=True)
    def oauth2_password_authenticate(self, username: str, password: str, client: Client) -> str | None:
        self.password_checks.append((username, client.client_id))
        return super().oauth2_password_authenticate(username=username, password=password, client=client)


@pytest.fixture
def oauth2_memory_host() -> RecordingHost:
    host = RecordingHost()
    host.add_user("alice", PASSWORD)
    return host


@pytest.fixture
def secret(oauth2_memory_host: RecordingHost) -> str:
    """The secret of ``app``, a confidential client allowed the password grant and scopes read and write."""
    value = oauth2_memory_host.add_client("app")
    assert value is not None
    return value


@pytest.fixture
def public(oauth2_memory_host: RecordingHost) -> str:
    """The id of ``spa``, a public client."""
    oauth2_memory_host.add_client("spa", confidential=False)
    return "spa"


@pytest.fixture
def oauth2_server(oauth2_server_factory: MemoryServerFactory) -> Server:
    return oauth2_server_factory(["password"])


@pytest.fixture
def client(oauth2_token_client: TokenClient) -> TokenClient:
    return oauth2_token_client


def password_form(**overrides: str | None) -> dict[str, str]:
    """A password-grant form for alice; an override of None leaves that parameter out."""
    form: dict[str, str | None] = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def assert_error(response: TokenResponse, status: int, error: str) -> None:
    assert (response.status, response.json()["error"]) == (status, error), response.json()
    assert header(response, "Content-Type") == "application/json"
    assert header(response, "Cache-Control") == "no-store"
    assert header(response, "Pragma") == "no-cache"


# -- success (RFC 6749 5.1) -----------------------------------------------------


def test_confidential_client_by_basic_gets_access_and_refresh_tokens(
    client: TokenClient, secret: str, oauth2_memory_store: MemoryTokenStore, oauth2_clock: FakeClock
) -> None:
    response = client.post(password_form(scope="read"), basic=("app", secret))
    assert response.status == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "read")
    access_token, refresh_token = str(body["access_token"]), str(body["refresh_token"])
    assert access_token.startswith("o2at_") and refresh_token.startswith("o2rt_")
    assert header(response, "Cache-Control") == "no-store"
    assert header(response, "Pragma") == "no-cache"
    assert header(response, "Content-Type") == "application/json"

    access = oauth2_memory_store.access[digest(access_token)]
    refresh = oauth2_memory_store.refresh[digest(refresh_token)]
    assert (access.client_id, access.user_id, access.scope) == ("app", "1", frozenset({"read"}))
    assert access.expires_at == oauth2_clock() + timedelta(seconds=3600)
    assert (refresh.access_digest, refresh.family_id) == (access.digest, access.family_id)
    assert refresh.expires_at == oauth2_clock() + timedelta(days=30)
    stored = repr(oauth2_memory_store.access) + repr(oauth2_memory_store.refresh)
    assert access_token not in stored and refresh_token not in stored


def test_confidential_client_by_body_credentials(client: TokenClient, secret: str) -> None:
    response = client.post(password_form(), client_id="app", client_secret=secret)
    assert response.status == 200
    assert "refresh_token" in response.json()


def test_public_client_gets_no_refresh_token(
    client: TokenClient, public: str, oauth2_memory_store: MemoryTokenStore
) -> None:
    response = client.post(password_form(), client_id=public)
    assert response.status == 200
    assert "refresh_token" not in response.json()
    assert oauth2_memory_store.refresh == {}


def test_every_token_is_new(client: TokenClient, secret: str) -> None:
    tokens = {str(client.post(password_form(), basic=("app", secret)).json()["access_token"]) for _ in range(5)}
    assert len(tokens) == 5


def test_no_scope_gives_the_default_scope_narrowed_to_the_client(
    oauth2_server_factory: MemoryServerFactory, oauth2_memory_host: RecordingHost, secret: str
) -> None:
    server = oauth2_server_factory(["password"], default_scope="read admin")
    body = TokenClient(server).post(password_form(), basic=("app", secret)).json()
    assert body["scope"] == "read"


def test_no_scope_and_no_default_gives_an_empty_scope(client: TokenClient, secret: str) -> None:
    assert "scope" not in client.post(password_form(), basic=("app", secret)).json()


def test_configured_access_token_lifetime(
    oauth2_server_factory: MemoryServerFactory, secret: str, oauth2_memory_store: MemoryTokenStore
) -> None:
    server = oauth2_server_factory(["password"], access_token_lifetime=120, refresh_token_lifetime=None)
    body = TokenClient(server).post(password_form(), basic=("app", secret)).json()
    assert body["expires_in"] == 120
    assert oauth2_memory_store.refresh[digest(str(body["refresh_token"]))].expires_at is None


def test_form_may_declare_utf8_charset(client: TokenClient, secret: str) -> None:
    content_type = "application/x-www-form-urlencoded; charset=UTF-8"
    assert client.post(password_form(), basic=("app", secret), content_type=content_type).status == 200


def test_non_ascii_credentials(client: TokenClient, oauth2_memory_host: RecordingHost, secret: str) -> None:
    unicode_password = "pässwörd ✓ " + secrets.token_urlsafe(8)
    oauth2_memory_host.add_user("zoë", unicode_password)
    assert client.post(password_form(username="zoë", password=unicode_password), basic=("app", secret)).status == 200


# -- invalid_request -------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        password_form(username=None),
        password_form(password=None),
        password_form(password=""),
        password_form(grant_type=None),
        password_form(username="a" * 257),
        password_form(password="p" * 1025),
        password_form(username="alice\x00"),
        password_form(password=PASSWORD + "\n"),
    ],
    ids=[
        "no-username",
        "no-password",
        "empty-password",
        "no-grant_type",
        "long-username",
        "long-password",
        "nul",
        "lf",
    ],
)
def test_malformed_requests_are_invalid_request(client: TokenClient, secret: str, form: dict[str, str]) -> None:
    assert_error(client.post(form, basic=("app", secret)), 400, "invalid_request")


def test_repeated_parameter_is_invalid_request(client: TokenClient, secret: str) -> None:
    pairs = [*password_form().items(), ("password", "something else")]
    assert_error(client.post(pairs, basic=("app", secret)), 400, "invalid_request")
    repeated_grant_type = [("grant_type", "password"), *password_form().items()]
    assert_error(client.post(repeated_grant_type, basic=("app", secret)), 400, "invalid_request")


def test_repeated_empty_parameter_is_still_a_repeat(client: TokenClient, secret: str) -> None:
    body = b"grant_type=password&username=alice&password=x&scope=&scope=read"
    assert_error(client.post(body=body, basic=("app", secret)), 400, "invalid_request")


def test_basic_and_body_credentials_together_are_refused(client: TokenClient, secret: str) -> None:
    both = client.post(password_form(), basic=("app", secret), client_id="app", client_secret=secret)
    assert_error(both, 400, "invalid_request")
    id_in_body = client.post(password_form(), basic=("app", secret), client_id="app")
    assert_error(id_in_body, 400, "invalid_request")


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain", "multipart/form-data"])
def test_wrong_content_type_is_invalid_request(client: TokenClient, secret: str, content_type: str | None) -> None:
    response = client.post(password_form(), basic=("app", secret), content_type=content_type)
    assert_error(response, 400, "invalid_request")


def test_only_post_is_accepted(client: TokenClient, secret: str) -> None:
    response = client.post(password_form(), basic=("app", secret), method="GET")
    assert_error(response, 405, "invalid_request")
    assert header(response, "Allow") == "POST"


def test_oversized_body_is_refused(client: TokenClient, secret: str) -> None:
    response = client.post(password_form(scope="read " * 4000), basic=("app", secret))
    assert_error(response, 413, "invalid_request")


def test_malformed_bodies_are_invalid_request(client: TokenClient, secret: str) -> None:
    for body in (b"grant_type=password&username=%zz&password=x", b"grant_type=password&username=\xff&password=x"):
        assert_error(client.post(body=body, basic=("app", secret)), 400, "invalid_request")


# -- invalid_client ----------------------------------------------------------------


def assert_invalid_client(response: TokenResponse) -> None:
    assert_error(response, 401, "invalid_client")
    assert (header(response, "WWW-Authenticate") or "").startswith("Basic")


def test_wrong_secret_by_basic(client: TokenClient, secret: str, oauth2_memory_host: RecordingHost) -> None:
    assert_invalid_client(client.post(password_form(), basic=("app", secret + "x")))
    assert oauth2_memory_host.password_checks == [], "the password must not be checked for an unauthenticated client"


def test_wrong_secret_in_body(client: TokenClient, secret: str) -> None:
    assert_invalid_client(client.post(password_form(), client_id="app", client_secret=secret[:-1]))


def test_unknown_client(client: TokenClient, secret: str) -> None:
    assert_invalid_client(client.post(password_form(), basic=("nobody", secret)))
    assert_invalid_client(client.post(password_form(), client_id="nobody"))


def test_missing_client_authentication(client: TokenClient, secret: str) -> None:
    assert_invalid_client(client.post(password_form()))
    assert_invalid_client(client.post(password_form(), client_secret=secret))


def test_confidential_client_without_its_secret(client: TokenClient, secret: str) -> None:
    assert_invalid_client(client.post(password_form(), client_id="app"))


def test_public_client_presenting_a_secret(client: TokenClient, public: str, secret: str) -> None:
    assert_invalid_client(client.post(password_form(), client_id=public, client_secret=secret))


@pytest.mark.parametrize("authorization", ["Bearer abc", "Basic", "Basic !!!", "Basic YXBw", "Digest x=1"])
def test_malformed_authorization_header(client: TokenClient, secret: str, authorization: str) -> None:
    assert_invalid_client(client.post(password_form(), authorization=authorization))


def test_expired_client_secret_is_refused(
    oauth2_memory_host: RecordingHost, oauth2_clock: FakeClock, client: TokenClient
) -> None:
    expiring = oauth2_memory_host.add_client("rotating", expires_at=oauth2_clock() + timedelta(seconds=60))
    assert expiring is not None
    assert client.post(password_form(), basic=("rotating", expiring)).status == 200
    oauth2_clock.advance(60)
    assert_invalid_client(client.post(password_form(), basic=("rotating", expiring)))


# -- invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope ------------


def test_wrong_password_is_invalid_grant(client: TokenClient, secret: str, oauth2_memory_host: RecordingHost) -> None:
    wrong = client.post(password_form(password=PASSWORD.upper()), basic=("app", secret))
    unknown = client.post(password_form(username="mallory"), basic=("app", secret))
    assert_error(wrong, 400, "invalid_grant")
    assert_error(unknown, 400, "invalid_grant")
    assert wrong.json() == unknown.json(), "the answer must not tell unknown users from wrong passwords"
    assert oauth2_memory_host.password_checks == [("alice", "app"), ("mallory", "app")]


def test_client_not_allowed_the_grant_is_unauthorized_client(
    client: TokenClient, oauth2_memory_host: RecordingHost
) -> None:
    other = oauth2_memory_host.add_client("m2m", grant_types=("client_credentials",))
    assert other is not None
    assert_error(client.post(password_form(), basic=("m2m", other)), 400, "unauthorized_client")
    assert oauth2_memory_host.password_checks == []


@pytest.mark.parametrize("grant_type", ["refresh_token", "authorization_code", "PASSWORD", "urn:example:unknown"])
def test_other_grant_types_are_unsupported(client: TokenClient, secret: str, grant_type: str) -> None:
    response = client.post(password_form(grant_type=grant_type), basic=("app", secret))
    assert_error(response, 400, "unsupported_grant_type")


@pytest.mark.parametrize("scope", ["admin", "read admin", "read  write", " read", "read\\"])
def test_scope_beyond_the_client_or_malformed_is_invalid_scope(client: TokenClient, secret: str, scope: str) -> None:
    assert_error(client.post(password_form(scope=scope), basic=("app", secret)), 400, "invalid_scope")


def test_scope_within_the_client_is_granted(client: TokenClient, secret: str) -> None:
    body = client.post(password_form(scope="write read"), basic=("app", secret)).json()
    assert body["scope"] == "read write"


def test_only_the_enabled_grant_is_loaded(oauth2_server: Server) -> None:
    assert list(oauth2_server.registry) == ["password"]
    assert oauth2_server.pluginmanager.get_plugin("refresh_token") is None
