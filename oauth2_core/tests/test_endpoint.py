"""The token endpoint as a plain function: answers, error shapes, headers and client authentication."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from core_support import (
    ECHO,
    FORM,
    GOOD_CODE,
    RequiredAuthEchoGrant,
    SelfAuthEchoGrant,
    World,
    basic,
    build_world,
    echo_form,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from oauth2_core import TokenResponse, hookimpl
from oauth2_core.events import SecurityEvent
from oauth2_core.tokens import ACCESS_TOKEN_PREFIX, digest

# RFC 6749 5.2: the characters error and error_description may use.
RFC_ERROR_CHARS = set(map(chr, [0x20, 0x21, *range(0x23, 0x5C), *range(0x5D, 0x7F)]))


def header(response: TokenResponse, name: str) -> str | None:
    values = [value for key, value in response.headers if key.lower() == name.lower()]
    assert len(values) <= 1, f"header {name} sent {len(values)} times"
    return values[0] if values else None


def assert_json_answer(response: TokenResponse) -> dict[str, object]:
    """Every answer, success or error: JSON, never cached (RFC 6749 5.1 and 5.2)."""
    assert header(response, "Content-Type") == "application/json"
    assert header(response, "Cache-Control") == "no-store"
    assert header(response, "Pragma") == "no-cache"
    return json.loads(response.body)


def assert_error(response: TokenResponse, status: int, error: str) -> dict[str, object]:
    body = assert_json_answer(response)
    assert (response.status, body.get("error")) == (status, error), body
    assert set(body) <= {"error", "error_description"}
    description = body.get("error_description", "")
    assert isinstance(description, str)
    assert set(description) <= RFC_ERROR_CHARS
    return body


@pytest.fixture
def app_secret(world: World) -> str:
    secret = world.add_client("app", scopes=("read", "write"))
    assert secret is not None
    return secret


class TestSuccess:
    def test_basic_authenticated_request(self, world: World, app_secret: str) -> None:
        response = world.post(echo_form(), authorization=basic("app", app_secret))
        body = assert_json_answer(response)
        assert response.status == 200
        assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 3600
        assert body["scope"] == "read"  # the configured default scope
        token = body["access_token"]
        assert isinstance(token, str)
        assert token.startswith(ACCESS_TOKEN_PREFIX)

    def test_body_authenticated_request(self, world: World, app_secret: str) -> None:
        response = world.post(echo_form(client_id="app", client_secret=app_secret, scope="write read"))
        assert response.status == 200
        assert assert_json_answer(response)["scope"] == "read write"

    def test_store_keeps_only_digest_and_display_prefix(self, world: World, app_secret: str) -> None:
        token = world.post(echo_form(), authorization=basic("app", app_secret)).json()["access_token"]
        assert isinstance(token, str)
        (stored_digest, record), *others = world.store.access.items()
        assert not others
        assert stored_digest == record.digest == digest(token)
        assert record.display == token[: len(record.display)]
        # 43 random URL-safe characters (256 bits); the display prefix shows only four of them.
        assert len(token) == len(ACCESS_TOKEN_PREFIX) + 43
        assert len(record.display) == len(ACCESS_TOKEN_PREFIX) + 4
        assert token not in repr(world.store.access)
        assert record.client_id == "app"
        assert record.user_id == "alice"
        assert record.expires_at == world.clock() + timedelta(seconds=3600)
        assert not world.store.refresh

    def test_lowercase_method_is_post(self, world: World, app_secret: str) -> None:
        assert world.post(echo_form(), authorization=basic("app", app_secret), method="post").status == 200

    def test_configured_lifetime(self, make_world: Callable[..., World]) -> None:
        world = make_world(access_token_lifetime=60)
        secret = world.add_client("app")
        assert secret is not None
        assert world.post(echo_form(), authorization=basic("app", secret)).json()["expires_in"] == 60

    def test_no_scope_when_nothing_granted(self, make_world: Callable[..., World]) -> None:
        world = make_world()  # no default scope
        secret = world.add_client("app")
        assert secret is not None
        body = world.post(echo_form(), authorization=basic("app", secret)).json()
        assert "scope" not in body


class TestErrors:
    def test_get_is_405_with_allow(self, world: World) -> None:
        response = world.post(b"", method="GET", content_type=None)
        assert_error(response, 405, "invalid_request")
        assert header(response, "Allow") == "POST"

    @pytest.mark.parametrize(
        ("content_type", "body", "status", "error"),
        [
            ("application/json", b'{"grant_type": "password"}', 400, "invalid_request"),
            (None, b"grant_type=x", 400, "invalid_request"),
            (FORM, b"a=" + b"x" * 20_000, 413, "invalid_request"),
            (FORM, b"grant_type=x&grant_type=x", 400, "invalid_request"),
            (FORM, b"grant_type=%zz", 400, "invalid_request"),
            (FORM, b"grant_type=%ff", 400, "invalid_request"),
            (FORM, b"", 400, "invalid_request"),
            (FORM, b"grant_type=", 400, "invalid_request"),
            (FORM, b"grant_type=authorization_code", 400, "unsupported_grant_type"),
            (FORM, b"grant_type=URN:EXAMPLE:ECHO", 400, "unsupported_grant_type"),
        ],
    )
    def test_request_level_errors(
        self, world: World, content_type: str | None, body: bytes, status: int, error: str
    ) -> None:
        assert_error(world.post(body, content_type=content_type), status, error)

    def test_error_never_echoes_input(self, world: World) -> None:
        response = world.post({"grant_type": "<b>zq-marker</b>"})
        body = assert_error(response, 400, "unsupported_grant_type")
        assert "zq-marker" not in json.dumps(body)

    def test_missing_credentials_for_confidential_grant(self, world: World) -> None:
        response = world.post(echo_form())
        assert_error(response, 401, "invalid_client")
        assert header(response, "WWW-Authenticate") == 'Basic realm="oauth2"'

    @pytest.mark.parametrize("via", ["basic", "body"])
    def test_wrong_secret(self, world: World, app_secret: str, via: str) -> None:
        wrong = app_secret[:-1] + ("A" if app_secret[-1] != "A" else "B")
        if via == "basic":
            response = world.post(echo_form(), authorization=basic("app", wrong))
        else:
            response = world.post(echo_form(client_id="app", client_secret=wrong))
        assert_error(response, 401, "invalid_client")
        assert header(response, "WWW-Authenticate") is not None

    def test_unknown_client(self, world: World) -> None:
        assert_error(world.post(echo_form(), authorization=basic("ghost", "pw")), 401, "invalid_client")

    def test_malformed_basic(self, world: World) -> None:
        response = world.post(echo_form(), authorization="Basic ###")
        assert_error(response, 401, "invalid_client")
        assert header(response, "WWW-Authenticate") == 'Basic realm="oauth2"'

    def test_basic_and_body_together(self, world: World, app_secret: str) -> None:
        response = world.post(echo_form(client_id="app"), authorization=basic("app", app_secret))
        assert_error(response, 400, "invalid_request")

    def test_expired_secret(self, world: World) -> None:
        secret = world.add_client("app", expires_at=world.clock() + timedelta(minutes=5))
        assert secret is not None
        assert world.post(echo_form(), authorization=basic("app", secret)).status == 200
        world.clock.advance(301)
        assert_error(world.post(echo_form(), authorization=basic("app", secret)), 401, "invalid_client")

    def test_client_not_allowed_the_grant(self, world: World) -> None:
        secret = world.add_client("narrow", grant_types=("password",))
        assert secret is not None
        response = world.post(echo_form(), authorization=basic("narrow", secret))
        assert_error(response, 400, "unauthorized_client")
        assert not world.store.access

    @pytest.mark.parametrize(
        ("changes", "error"),
        [
            ({"subject": ""}, "invalid_request"),
            ({"code": "x" * 65}, "invalid_request"),
            ({"subject": "al\x00ice"}, "invalid_request"),
            ({"code": "wrong"}, "invalid_grant"),
            ({"scope": "admin"}, "invalid_scope"),
            ({"scope": "read  write"}, "invalid_scope"),
            ({"scope": 'read "write"'}, "invalid_scope"),
        ],
    )
    def test_grant_level_errors(self, world: World, app_secret: str, changes: dict[str, str], error: str) -> None:
        response = world.post(echo_form(**changes), authorization=basic("app", app_secret))
        assert_error(response, 400, error)
        assert not world.store.access


class TestPublicClients:
    def test_public_client_identifies_in_body(self, world: World) -> None:
        world.add_client("spa", confidential=False)
        assert world.post(echo_form(client_id="spa")).status == 200

    def test_public_client_identifies_with_empty_basic_secret(self, world: World) -> None:
        world.add_client("spa", confidential=False)
        assert world.post(echo_form(), authorization=basic("spa", "")).status == 200

    def test_public_client_presenting_a_secret_is_refused(self, world: World) -> None:
        world.add_client("spa", confidential=False)
        assert_error(world.post(echo_form(client_id="spa", client_secret="guess")), 401, "invalid_client")

    def test_confidential_client_must_present_its_secret(self, world: World, app_secret: str) -> None:
        assert_error(world.post(echo_form(client_id="app")), 401, "invalid_client")

    def test_grant_requiring_authentication_refuses_public_clients(self, world: World, app_secret: str) -> None:
        world.add_client("spa", confidential=False)
        form = echo_form(grant_type=RequiredAuthEchoGrant.grant_type)
        assert_error(world.post({**form, "client_id": "spa"}), 401, "invalid_client")
        assert world.post(form, authorization=basic("app", app_secret)).status == 200

    def test_grant_without_client_authentication_finds_its_client(self, world: World) -> None:
        world.add_client("federated", confidential=False)
        form = echo_form(grant_type=SelfAuthEchoGrant.grant_type, subject="federated")
        assert world.post(form).status == 200
        assert next(iter(world.store.access.values())).client_id == "federated"

    def test_client_found_by_the_grant_must_be_allowed_the_grant(self, world: World) -> None:
        world.add_client("federated", confidential=False, grant_types=(ECHO,))
        form = echo_form(grant_type=SelfAuthEchoGrant.grant_type, subject="federated")
        assert_error(world.post(form), 400, "unauthorized_client")
        assert not world.store.access


class EventLog:
    def __init__(self) -> None:
        self.events: list[SecurityEvent] = []

    @hookimpl
    def oauth2_security_event(self, event: SecurityEvent) -> None:
        self.events.append(event)


class TestNoSecretLeaks:
    def test_logs_events_and_reprs_carry_no_secret(
        self, make_world: Callable[..., World], caplog: pytest.LogCaptureFixture
    ) -> None:
        observer = EventLog()
        world = make_world(plugins=[observer], default_scope="read")
        secret = world.add_client("app")
        assert secret is not None
        caplog.set_level(logging.DEBUG)
        issued = world.post(echo_form(), authorization=basic("app", secret))
        assert issued.status == 200
        token = issued.json()["access_token"]
        assert isinstance(token, str)
        refused = [
            world.post(echo_form(code="wrong-code-9f"), authorization=basic("app", secret)),
            world.post(echo_form(), authorization=basic("app", secret + "x")),
            world.post(echo_form(client_id="app", client_secret=secret), authorization=basic("app", secret)),
        ]
        assert [response.status for response in refused] == [400, 401, 400]
        plaintexts = [secret, token, GOOD_CODE, "wrong-code-9f"]
        # The store keeps digests by design; logs and events must not carry even those.
        digests = [digest(token), digest(secret)]
        logged = [caplog.text, *(repr(record.__dict__) for record in caplog.records), *map(repr, observer.events)]
        reprs = [repr(world.store.access), repr(issued), *map(repr, refused)]
        for value in plaintexts:
            for text in logged + reprs:
                assert value not in text
        for value in digests:
            for text in logged:
                assert value not in text
        kinds = [event.kind for event in observer.events]
        assert kinds == ["token_issued", "token_refused", "token_refused", "token_refused"]
        assert observer.events[0].token == token[: len(observer.events[0].token or "")]
        assert observer.events[0].token


# -- fuzzing ---------------------------------------------------------------------

_FUZZ_WORLD: list[World] = []


def fuzz_world() -> World:
    # Hypothesis reruns the test body many times; one server for all examples keeps it fast.
    if not _FUZZ_WORLD:
        world = build_world()
        world.add_client("app")
        world.add_client("spa", confidential=False)
        _FUZZ_WORLD.append(world)
    return _FUZZ_WORLD[0]


Attempt = tuple[str, str | None, str | None, bytes]
TEXT = st.text(max_size=30)
FIELDS = st.sampled_from(["grant_type", "subject", "code", "scope", "client_id", "client_secret", "x"])
GRANT_TYPES = st.sampled_from([ECHO, RequiredAuthEchoGrant.grant_type, SelfAuthEchoGrant.grant_type, "password", ""])


@st.composite
def requests(draw: st.DrawFn) -> Attempt:
    pairs = [("grant_type", draw(GRANT_TYPES))] if draw(st.booleans()) else []
    pairs += draw(st.lists(st.tuples(FIELDS, st.one_of(TEXT, st.just(GOOD_CODE), st.just("app"))), max_size=6))
    body = urlencode(pairs).encode()
    if draw(st.booleans()):
        body += draw(st.binary(max_size=20))
    method = draw(st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "post"]))
    content_type = draw(st.sampled_from([FORM, FORM, None, "text/plain", f"{FORM}; charset=latin-1"]))
    authorization = draw(st.one_of(st.none(), st.just(basic("app", "nope")), TEXT.map(lambda t: "Basic " + t)))
    return method, content_type, authorization, body


@pytest.mark.fuzz
# The whole flow per example is slower than a parser, so the default run takes fewer examples; the
# heavy profile (nox -s fuzz) raises this to its own count.
@settings(max_examples=max(500, settings.default.max_examples), deadline=None)
@given(attempt=requests())
def test_fuzz_endpoint_always_answers_rfc_json(attempt: Attempt) -> None:
    world = fuzz_world()
    method, content_type, authorization, body = attempt
    response = world.post(body, method=method, content_type=content_type, authorization=authorization)
    if response.status == 200:
        assert_json_answer(response)
    else:
        payload = assert_json_answer(response)
        assert response.status in {400, 401, 405, 413}
        assert payload["error"] in {
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
        }
