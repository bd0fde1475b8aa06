"""No client secret, password or token shows up in logs, errors or reprs during refresh flows."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator

import pytest

from oauth2_core import OAuth2Error, TokenResponse
from oauth2_grant_refresh import RefreshTokenGrant
from oauth2_testing.client import TokenClient
from oauth2_testing.clock import FakeClock
from oauth2_testing.factories import issue_tokens
from oauth2_testing.leaks import HookRecorder, assert_no_secrets, memory_run_texts, repr_texts
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.servers import MemoryServerFactory


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger, every level, captured for the whole test."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


def collect_texts(
    caplog: pytest.LogCaptureFixture,
    client: TokenClient,
    recorder: HookRecorder,
    host: MemoryHost,
    store: MemoryTokenStore,
    extra: list[object],
) -> list[str]:
    """Everything that could show a secret: log records, error bodies, and the reprs of every object involved."""
    assert caplog.records, "no log record was captured: the test would prove nothing"
    assert recorder.objects, "the hook recorder saw nothing"
    return memory_run_texts(caplog.records, client, recorder, host, store) + repr_texts(extra)


def tokens_in(responses: list[TokenResponse]) -> dict[str, list[str]]:
    bodies = [response.json() for response in responses if response.status == 200]
    return {
        "access token": [str(body["access_token"]) for body in bodies],
        "refresh token": [str(body["refresh_token"]) for body in bodies if "refresh_token" in body],
    }


def test_refresh_flows_leak_no_secret(
    everything_logged: pytest.LogCaptureFixture,
    oauth2_server_factory: MemoryServerFactory,
    oauth2_memory_host: MemoryHost,
    oauth2_memory_store: MemoryTokenStore,
    oauth2_clock: FakeClock,
) -> None:
    recorder = HookRecorder()
    server = oauth2_server_factory(["refresh_token"], plugins=[recorder], refresh_token_lifetime=600)
    client = TokenClient(server)
    app = oauth2_memory_host.add_client("app")
    other = oauth2_memory_host.add_client("other")
    oauth2_memory_host.add_client("spa", confidential=False)
    assert app and other
    wrong_secret = "o2cs_" + secrets.token_urlsafe(32)
    seeded = [issue_tokens(server, "app", scope=("read", "write")) for _ in range(3)]
    public = issue_tokens(server, "spa")
    first, second, expiring = (tokens.refresh_token or "" for tokens in seeded)

    def form(token: str, **extra: str) -> dict[str, str]:
        return {"grant_type": "refresh_token", "refresh_token": token, **extra}

    rotated = client.post(form(first), basic=("app", app))
    assert rotated.status == 200
    newest = str(rotated.json()["refresh_token"])
    responses = [
        rotated,
        client.post(form(newest, scope="read"), client_id="app", client_secret=app),
        client.post(form(public.refresh_token or ""), client_id="spa"),
        client.post(form(first), basic=("app", app)),  # reuse: the family is revoked
        client.post(form(newest), basic=("app", app)),
        client.post(form(second), basic=("other", other)),
        client.post(form(second, scope="admin"), basic=("app", app)),
        client.post(form(second), basic=("app", wrong_secret)),
        client.post(form(second), basic=("app", app), client_id="app", client_secret=app),
        client.post([*form(second).items(), ("refresh_token", first)], basic=("app", app)),
        client.post(form(second + "\x00"), basic=("app", app)),
        client.post(form(second * 8), basic=("app", app)),
        client.post(form(app), basic=("app", app)),
    ]
    oauth2_clock.advance(600)
    responses.append(client.post(form(expiring), basic=("app", app)))
    statuses = [response.status for response in responses]
    assert statuses == [200, 200, 200, 400, 400, 400, 400, 401, 400, 400, 400, 400, 400, 400]

    raised: list[OAuth2Error] = []
    for bad in (form(second * 8), form(second + "\n"), {"grant_type": "refresh_token", "scope": second}):
        try:
            RefreshTokenGrant().parse_token_request(bad)
        except OAuth2Error as error:
            raised.append(error)
    assert len(raised) == 3

    found = tokens_in(responses)
    found["access token"] += [tokens.access_token for tokens in (*seeded, public)]
    found["refresh token"] += [first, second, expiring, public.refresh_token or ""]
    found["client secret"] = [app, other, wrong_secret]
    extra: list[object] = [*raised, RefreshTokenGrant().parse_token_request(form(second))]
    texts = collect_texts(everything_logged, client, recorder, oauth2_memory_host, oauth2_memory_store, extra)
    assert_no_secrets(found, texts)


def test_password_then_refresh_flow_leaks_no_secret(
    everything_logged: pytest.LogCaptureFixture,
    oauth2_server_factory: MemoryServerFactory,
    oauth2_memory_host: MemoryHost,
    oauth2_memory_store: MemoryTokenStore,
) -> None:
    pytest.importorskip("oauth2_grant_password", reason="the combined flow needs oauth2-grant-password installed")
    recorder = HookRecorder()
    server = oauth2_server_factory(["password", "refresh_token"], plugins=[recorder])
    client = TokenClient(server)
    password = "pw-" + secrets.token_urlsafe(16)
    oauth2_memory_host.add_user("alice", password)
    app = oauth2_memory_host.add_client("app")
    assert app

    login = client.post({"grant_type": "password", "username": "alice", "password": password}, basic=("app", app))
    first = str(login.json()["refresh_token"])
    refreshed = client.post({"grant_type": "refresh_token", "refresh_token": first}, basic=("app", app))
    reused = client.post({"grant_type": "refresh_token", "refresh_token": first}, basic=("app", app))
    wrong = client.post({"grant_type": "password", "username": "alice", "password": password[::-1]}, basic=("app", app))
    assert [login.status, refreshed.status, reused.status, wrong.status] == [200, 200, 400, 400]

    found = tokens_in([login, refreshed])
    found["password"] = [password, password[::-1]]
    found["client secret"] = [app]
    texts = collect_texts(everything_logged, client, recorder, oauth2_memory_host, oauth2_memory_store, [])
    assert_no_secrets(found, texts)
