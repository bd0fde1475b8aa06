"""The refresh-token grant through the whole token endpoint, over the in-memory host (RFC 6749 6, RFC 9700 4.14.2)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import replace

import pytest

from oauth2_core import Server, TokenResponse
from oauth2_core.events import SecurityEvent
from oauth2_core.tokens import IssuedTokens, digest
from oauth2_testing.client import TokenClient, header
from oauth2_testing.clock import FakeClock
from oauth2_testing.factories import issue_tokens
from oauth2_testing.leaks import HookRecorder
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.servers import MemoryServerFactory


@pytest.fixture
def secret(oauth2_memory_host: MemoryHost) -> str:
    """The secret of ``app``: confidential, allowed password and refresh_token, scopes read and write."""
    value = oauth2_memory_host.add_client("app")
    assert value is not None
    return value


@pytest.fixture
def oauth2_server(oauth2_server_factory: MemoryServerFactory) -> Server:
    return oauth2_server_factory(["refresh_token"])


@pytest.fixture
def client(oauth2_token_client: TokenClient) -> TokenClient:
    return oauth2_token_client


@pytest.fixture
def tokens(oauth2_server: Server, secret: str) -> IssuedTokens:
    """A token pair for user 7 of ``app`` with scope read and write, as a password grant would have issued."""
    return issue_tokens(oauth2_server, "app", user_id="7", scope=("read", "write"))


def refresh_token(tokens: IssuedTokens) -> str:
    assert tokens.refresh_token is not None
    return tokens.refresh_token


def refresh(client: TokenClient, token: str, secret: str, **extra: str) -> TokenResponse:
    return client.post({"grant_type": "refresh_token", "refresh_token": token, **extra}, basic=("app", secret))


def assert_error(response: TokenResponse, status: int, error: str) -> None:
    assert (response.status, response.json()["error"]) == (status, error), response.json()
    assert header(response, "Cache-Control") == "no-store"
    assert header(response, "Pragma") == "no-cache"


def issued(response: TokenResponse) -> tuple[str, str]:
    assert response.status == 200, response.json()
    body = response.json()
    return str(body["access_token"]), str(body["refresh_token"])


# -- rotation ------------------------------------------------------------------------


def test_refresh_rotates_the_pair(
    client: TokenClient, secret: str, tokens: IssuedTokens, oauth2_memory_store: MemoryTokenStore
) -> None:
    response = refresh(client, refresh_token(tokens), secret)
    assert response.status == 200
    body = response.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "read write")
    assert header(response, "Cache-Control") == "no-store"
    assert header(response, "Pragma") == "no-cache"
    new_access, new_refresh = issued(response)
    assert new_refresh != refresh_token(tokens) and new_access != tokens.access_token

    old_refresh = oauth2_memory_store.refresh[digest(refresh_token(tokens))]
    old_access = oauth2_memory_store.access[digest(tokens.access_token)]
    assert old_refresh.consumed and not old_refresh.revoked
    assert old_access.revoked
    access = oauth2_memory_store.access[digest(new_access)]
    rotated = oauth2_memory_store.refresh[digest(new_refresh)]
    assert (access.user_id, access.client_id, access.family_id) == ("7", "app", tokens.access.family_id)
    assert (rotated.user_id, rotated.family_id, rotated.access_digest) == ("7", tokens.access.family_id, access.digest)
    assert not access.revoked and not rotated.consumed and not rotated.revoked


def test_a_chain_of_refreshes(client: TokenClient, secret: str, tokens: IssuedTokens) -> None:
    current = refresh_token(tokens)
    seen = {current}
    for _ in range(5):
        _, current = issued(refresh(client, current, secret))
        seen.add(current)
    assert len(seen) == 6


def test_body_credentials_work_too(client: TokenClient, secret: str, tokens: IssuedTokens) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token(tokens)}
    assert client.post(form, client_id="app", client_secret=secret).status == 200


def test_each_rotation_restarts_the_refresh_lifetime(
    oauth2_server_factory: MemoryServerFactory, secret: str, oauth2_clock: FakeClock
) -> None:
    server = oauth2_server_factory(["refresh_token"], refresh_token_lifetime=100)
    client = TokenClient(server)
    current = refresh_token(issue_tokens(server, "app"))
    for _ in range(3):
        oauth2_clock.advance(99)
        _, current = issued(refresh(client, current, secret))


# -- reuse: the family dies (RFC 9700 4.14.2) ---------------------------------------------


def test_reusing_a_rotated_token_revokes_the_family(
    client: TokenClient, secret: str, tokens: IssuedTokens, oauth2_memory_store: MemoryTokenStore
) -> None:
    second_access, second_refresh = issued(refresh(client, refresh_token(tokens), secret))
    third_access, third_refresh = issued(refresh(client, second_refresh, secret))

    assert_error(refresh(client, refresh_token(tokens), secret), 400, "invalid_grant")

    family = tokens.access.family_id
    members = [record for record in oauth2_memory_store.refresh.values() if record.family_id == family]
    assert len(members) == 3 and all(record.revoked for record in members)
    for access_token in (tokens.access_token, second_access, third_access):
        record = oauth2_memory_store.access[digest(access_token)]
        assert record.revoked, "every access token of the family must be refused"
    assert_error(refresh(client, third_refresh, secret), 400, "invalid_grant")


def test_reuse_is_reported_as_a_security_event(
    oauth2_server_factory: MemoryServerFactory, secret: str, oauth2_memory_store: MemoryTokenStore
) -> None:
    recorder = HookRecorder()
    server = oauth2_server_factory(["refresh_token"], plugins=[recorder])
    client = TokenClient(server)
    tokens = issue_tokens(server, "app", user_id="7")
    issued(refresh(client, refresh_token(tokens), secret))
    assert_error(refresh(client, refresh_token(tokens), secret), 400, "invalid_grant")
    reuse = [item for item in recorder.objects if isinstance(item, SecurityEvent) and item.kind == "refresh_reuse"]
    assert len(reuse) == 1
    event = reuse[0]
    assert (event.grant_type, event.client_id, event.user_id) == ("refresh_token", "app", "7")
    assert event.token == oauth2_memory_store.refresh[digest(refresh_token(tokens))].display
    assert event.client_ip == "127.0.0.1"


def test_reuse_leaves_other_families_alone(
    oauth2_server: Server, client: TokenClient, secret: str, tokens: IssuedTokens
) -> None:
    bystander = issue_tokens(oauth2_server, "app", user_id="7")
    _, _ = issued(refresh(client, refresh_token(tokens), secret))
    assert_error(refresh(client, refresh_token(tokens), secret), 400, "invalid_grant")
    assert refresh(client, refresh_token(bystander), secret).status == 200


def test_concurrent_refreshes_succeed_exactly_once(
    oauth2_server: Server, secret: str, tokens: IssuedTokens, oauth2_memory_store: MemoryTokenStore
) -> None:
    workers = 20
    start = threading.Barrier(workers)
    responses: list[TokenResponse | None] = [None] * workers

    def attempt(index: int) -> None:
        client = TokenClient(oauth2_server)
        start.wait()
        responses[index] = refresh(client, refresh_token(tokens), secret)

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(response.status for response in responses if response is not None)
    assert statuses == [200] + [400] * (workers - 1)
    winner = next(response for response in responses if response is not None and response.status == 200)
    assert {response.json()["error"] for response in responses if response and response.status == 400} == {
        "invalid_grant"
    }
    # The losers presented a consumed token: that is reuse, so even the winner's new pair is revoked.
    new_access, new_refresh = issued(winner)
    assert oauth2_memory_store.access[digest(new_access)].revoked
    assert oauth2_memory_store.refresh[digest(new_refresh)].revoked
    saved = [record for record in oauth2_memory_store.refresh.values() if record.family_id == tokens.access.family_id]
    assert len(saved) == 2, "exactly one rotation saved a new refresh token"


# -- scope (RFC 6749 6) ------------------------------------------------------------------


def test_no_scope_keeps_the_original_scope(client: TokenClient, secret: str, tokens: IssuedTokens) -> None:
    assert refresh(client, refresh_token(tokens), secret).json()["scope"] == "read write"


def test_narrower_scope_is_granted_and_sticks(
    client: TokenClient, secret: str, tokens: IssuedTokens, oauth2_memory_store: MemoryTokenStore
) -> None:
    response = refresh(client, refresh_token(tokens), secret, scope="read")
    assert response.json()["scope"] == "read"
    access_token, narrowed = issued(response)
    assert oauth2_memory_store.access[digest(access_token)].scope == {"read"}
    assert oauth2_memory_store.refresh[digest(narrowed)].scope == {"read"}
    assert_error(refresh(client, narrowed, secret, scope="read write"), 400, "invalid_scope")
    assert refresh(client, narrowed, secret).json()["scope"] == "read"


@pytest.mark.parametrize("scope", ["read write admin", "admin", "read  write", "read\\"])
def test_wider_or_malformed_scope_is_invalid_scope_and_keeps_the_token(
    client: TokenClient, secret: str, tokens: IssuedTokens, scope: str
) -> None:
    assert_error(refresh(client, refresh_token(tokens), secret, scope=scope), 400, "invalid_scope")
    assert refresh(client, refresh_token(tokens), secret).status == 200, "a refused request must not consume the token"


def test_scope_the_client_lost_is_not_renewed(
    client: TokenClient, secret: str, tokens: IssuedTokens, oauth2_memory_host: MemoryHost
) -> None:
    app = oauth2_memory_host.clients["app"]
    oauth2_memory_host.clients["app"] = replace(app, scopes=frozenset({"read"}))
    assert_error(refresh(client, refresh_token(tokens), secret, scope="write"), 400, "invalid_scope")
    assert refresh(client, refresh_token(tokens), secret).json()["scope"] == "read"


# -- invalid_grant: unknown, other client's, expired, revoked ---------------------------------


@pytest.mark.parametrize("value", ["o2rt_" + "A" * 43, "not-a-token", "o2rt_"])
def test_unknown_token_is_invalid_grant(client: TokenClient, secret: str, tokens: IssuedTokens, value: str) -> None:
    assert_error(refresh(client, value, secret), 400, "invalid_grant")


def test_access_token_is_not_a_refresh_token(client: TokenClient, secret: str, tokens: IssuedTokens) -> None:
    assert_error(refresh(client, tokens.access_token, secret), 400, "invalid_grant")


def test_another_clients_token_is_invalid_grant(
    client: TokenClient,
    secret: str,
    tokens: IssuedTokens,
    oauth2_memory_host: MemoryHost,
    oauth2_memory_store: MemoryTokenStore,
) -> None:
    other = oauth2_memory_host.add_client("other")
    assert other is not None
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token(tokens)}
    stolen = client.post(form, basic=("other", other))
    unknown = refresh(client, "o2rt_" + "B" * 43, secret)
    assert_error(stolen, 400, "invalid_grant")
    assert stolen.json() == unknown.json(), "another client's token must look like an unknown one"
    assert not oauth2_memory_store.refresh[digest(refresh_token(tokens))].consumed
    assert refresh(client, refresh_token(tokens), secret).status == 200, "the owner's token still works"
    assert_error(client.post(form, basic=("other", other)), 400, "invalid_grant")
    assert not any(record.revoked for record in oauth2_memory_store.refresh.values()), (
        "another client presenting a consumed token cannot revoke the owner's family"
    )


def test_expired_token_is_invalid_grant(
    oauth2_server_factory: MemoryServerFactory, secret: str, oauth2_clock: FakeClock
) -> None:
    server = oauth2_server_factory(["refresh_token"], refresh_token_lifetime=60)
    client = TokenClient(server)
    expiring, fresh = issue_tokens(server, "app"), issue_tokens(server, "app")
    oauth2_clock.advance(59)
    assert refresh(client, refresh_token(fresh), secret).status == 200
    oauth2_clock.advance(1)
    assert_error(refresh(client, refresh_token(expiring), secret), 400, "invalid_grant")


def test_tokens_without_lifetime_do_not_expire(
    oauth2_server_factory: MemoryServerFactory, secret: str, oauth2_clock: FakeClock
) -> None:
    server = oauth2_server_factory(["refresh_token"], refresh_token_lifetime=None)
    token = refresh_token(issue_tokens(server, "app"))
    oauth2_clock.advance(10 * 365 * 24 * 3600)
    assert refresh(TokenClient(server), token, secret).status == 200


def test_revoked_token_is_invalid_grant(
    oauth2_server: Server, client: TokenClient, secret: str, tokens: IssuedTokens
) -> None:
    oauth2_server.hooks.revoke_family(tokens.access.family_id)
    assert_error(refresh(client, refresh_token(tokens), secret), 400, "invalid_grant")


def test_refusals_look_alike(
    oauth2_server: Server, client: TokenClient, secret: str, tokens: IssuedTokens, oauth2_clock: FakeClock
) -> None:
    revoked = issue_tokens(oauth2_server, "app")
    oauth2_server.hooks.revoke_family(revoked.access.family_id)
    _, _ = issued(refresh(client, refresh_token(tokens), secret))
    answers = {
        refresh(client, "o2rt_unknown", secret).body,
        refresh(client, refresh_token(revoked), secret).body,
        refresh(client, refresh_token(tokens), secret).body,
    }
    assert len(answers) == 1


# -- the request and the client --------------------------------------------------------------


def test_missing_or_repeated_refresh_token_is_invalid_request(
    client: TokenClient, secret: str, tokens: IssuedTokens
) -> None:
    assert_error(client.post({"grant_type": "refresh_token"}, basic=("app", secret)), 400, "invalid_request")
    pairs = [("grant_type", "refresh_token"), ("refresh_token", refresh_token(tokens))] * 2
    assert_error(client.post(pairs[:3], basic=("app", secret)), 400, "invalid_request")
    assert refresh(client, refresh_token(tokens), secret).status == 200


def test_client_authentication_rules_apply(client: TokenClient, secret: str, tokens: IssuedTokens) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token(tokens)}
    wrong = client.post(form, basic=("app", secret + "x"))
    assert_error(wrong, 401, "invalid_client")
    assert (header(wrong, "WWW-Authenticate") or "").startswith("Basic")
    assert_error(client.post(form, client_id="app"), 401, "invalid_client")
    assert_error(client.post(form), 401, "invalid_client")
    assert_error(
        client.post(form, basic=("app", secret), client_id="app", client_secret=secret), 400, "invalid_request"
    )
    assert refresh(client, refresh_token(tokens), secret).status == 200, "refused requests must not consume the token"


def test_client_not_allowed_to_refresh_is_unauthorized_client(
    oauth2_server: Server, client: TokenClient, oauth2_memory_host: MemoryHost
) -> None:
    limited = oauth2_memory_host.add_client("limited", grant_types=("password",))
    assert limited is not None
    tokens = issue_tokens(oauth2_server, "limited")
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token(tokens)}
    assert_error(client.post(form, basic=("limited", limited)), 400, "unauthorized_client")


def test_only_the_refresh_grant_is_enabled(oauth2_server: Server, client: TokenClient, secret: str) -> None:
    assert list(oauth2_server.registry) == ["refresh_token"]
    form = {"grant_type": "password", "username": "alice", "password": secret}
    assert_error(client.post(form, basic=("app", secret)), 400, "unsupported_grant_type")


# -- public clients ------------------------------------------------------------------------


@pytest.fixture
def public_tokens(oauth2_server: Server, oauth2_memory_host: MemoryHost) -> IssuedTokens:
    """A refresh token held by the public client ``spa`` (as a grant with PKCE would issue one)."""
    oauth2_memory_host.add_client("spa", confidential=False)
    return issue_tokens(oauth2_server, "spa")


def public_refresh(client: TokenClient, token: str, client_id: str = "spa") -> TokenResponse:
    return client.post({"grant_type": "refresh_token", "refresh_token": token}, client_id=client_id)


def test_public_client_refreshes_with_its_client_id(client: TokenClient, public_tokens: IssuedTokens) -> None:
    _, rotated = issued(public_refresh(client, refresh_token(public_tokens)))
    issued(public_refresh(client, rotated))


def test_public_client_reuse_revokes_the_family(
    client: TokenClient, public_tokens: IssuedTokens, oauth2_memory_store: MemoryTokenStore
) -> None:
    _, rotated = issued(public_refresh(client, refresh_token(public_tokens)))
    assert_error(public_refresh(client, refresh_token(public_tokens)), 400, "invalid_grant")
    assert oauth2_memory_store.refresh[digest(rotated)].revoked
    assert_error(public_refresh(client, rotated), 400, "invalid_grant")


def test_public_client_cannot_use_another_public_clients_token(
    client: TokenClient, public_tokens: IssuedTokens, oauth2_memory_host: MemoryHost
) -> None:
    oauth2_memory_host.add_client("other-spa", confidential=False)
    assert_error(public_refresh(client, refresh_token(public_tokens), "other-spa"), 400, "invalid_grant")


def test_public_client_with_a_made_up_secret_is_refused(client: TokenClient, public_tokens: IssuedTokens) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token(public_tokens)}
    made_up = secrets.token_urlsafe(16)
    assert_error(client.post(form, client_id="spa", client_secret=made_up), 401, "invalid_client")
