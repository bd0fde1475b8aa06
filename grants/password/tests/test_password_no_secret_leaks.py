"""No password, client secret or token shows up in logs, errors or reprs during password-grant flows."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from datetime import timedelta

import pytest

from oauth2_core import OAuth2Error
from oauth2_grant_password import PasswordGrant
from oauth2_testing.client import TokenClient
from oauth2_testing.clock import FakeClock
from oauth2_testing.leaks import HookRecorder, assert_no_secrets, memory_run_texts, repr_texts
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.servers import MemoryServerFactory


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger, every level, captured for the whole test."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


def test_password_flows_leak_no_secret(
    everything_logged: pytest.LogCaptureFixture,
    oauth2_server_factory: MemoryServerFactory,
    oauth2_memory_host: MemoryHost,
    oauth2_memory_store: MemoryTokenStore,
    oauth2_clock: FakeClock,
) -> None:
    recorder = HookRecorder()
    server = oauth2_server_factory(["password"], plugins=[recorder])
    client = TokenClient(server)
    password = "pw-" + secrets.token_urlsafe(16)
    wrong_password = "pw-" + secrets.token_urlsafe(16)
    oauth2_memory_host.add_user("alice", password)
    app = oauth2_memory_host.add_client("app")
    expiring = oauth2_memory_host.add_client("expiring", expires_at=oauth2_clock() + timedelta(seconds=10))
    other = oauth2_memory_host.add_client("m2m", grant_types=("client_credentials",))
    oauth2_memory_host.add_client("spa", confidential=False)
    assert app and expiring and other
    wrong_secret = "o2cs_" + secrets.token_urlsafe(32)

    def form(**overrides: str) -> dict[str, str]:
        return {"grant_type": "password", "username": "alice", "password": password, **overrides}

    outcomes = [
        client.post(form(scope="read"), basic=("app", app)),
        client.post(form(), client_id="app", client_secret=app),
        client.post(form(), client_id="spa"),
        client.post(form(), basic=("expiring", expiring)),
        client.post(form(password=wrong_password), basic=("app", app)),
        client.post(form(password=password + "\x00"), basic=("app", app)),
        client.post(form(password=password * 50), basic=("app", app)),
        client.post(form(username=password), basic=("app", app)),
        client.post(form(scope="admin"), basic=("app", app)),
        client.post(form(), basic=("app", wrong_secret)),
        client.post(form(), client_id="app", client_secret=wrong_secret),
        client.post(form(), basic=("app", app), client_id="app", client_secret=app),
        client.post([*form().items(), ("password", wrong_password)], basic=("app", app)),
        client.post(form(), basic=("m2m", other)),
        client.post(form(), client_id="spa", client_secret=wrong_secret),
        client.post(form(), basic=("app", app), method="GET"),
        client.post(form(), basic=("app", app), content_type="application/json"),
    ]
    oauth2_clock.advance(10)
    outcomes.append(client.post(form(), basic=("expiring", expiring)))
    assert [response.status for response in outcomes] == [200] * 4 + [400] * 5 + [401] * 2 + [400] * 3 + [401] + [
        405,
        400,
        401,
    ]

    issued = [response.json() for response in outcomes if response.status == 200]
    errors = [response.json() for response in outcomes if response.status != 200]
    # Exceptions as the grant raises them, for forms that carry secrets in the wrong place.
    raised: list[OAuth2Error] = []
    for bad in (form(password=password * 50), form(password=password + "\n"), {"password": password}):
        try:
            PasswordGrant().parse_token_request(bad)
        except OAuth2Error as error:
            raised.append(error)
    assert len(raised) == 3
    parsed = PasswordGrant().parse_token_request(form())

    found = {
        "password": [password, wrong_password],
        "client secret": [app, expiring, other, wrong_secret],
        "access token": [str(body["access_token"]) for body in issued],
        "refresh token": [str(body["refresh_token"]) for body in issued if "refresh_token" in body],
    }
    assert len(found["access token"]) == 4 and len(found["refresh token"]) == 3
    records = everything_logged.records
    assert records, "no log record was captured: the test would prove nothing"
    assert len(recorder.objects) > 20, "the hook recorder saw nothing"

    texts = memory_run_texts(records, client, recorder, oauth2_memory_host, oauth2_memory_store)
    texts += [json.dumps(body) for body in errors]
    texts += repr_texts([*raised, parsed])
    assert_no_secrets(found, texts)
