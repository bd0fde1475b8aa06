"""Each security event reaches the Django signal and the ``oauth2.security`` log, with its fields and no secret.

Kinds: ``token_issued``, ``token_refused``, ``refresh_reuse`` (both ways it is
detected), ``throttled``, and the aws_identity grant's refusals, which are
``token_refused`` events whose reason names the error and why.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client as HttpClient
from django.test import override_settings

from oauth2_core import ServerConfig, TokenRequest, build_server, handle_token_request, hookimpl
from oauth2_core.events import SecurityEvent
from oauth2_core.form import FORM_CONTENT_TYPE
from oauth2_core.tokens import IssuedTokens
from oauth2_django import host, signals, store
from oauth2_django.models import RefreshToken
from oauth2_django.server import get_server
from oauth2_django.signals import security_event
from oauth2_testing.leaks import assert_no_secrets, log_texts, repr_texts

from .conftest import PASSWORD, Registered, post_token, server_setting

pytestmark = pytest.mark.django_db


class Captured:
    """Events as Django receivers got them, and the log records written for them."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.events: list[SecurityEvent] = []

    def receive(self, sender: Any, event: SecurityEvent, **kwargs: Any) -> None:
        self.events.append(event)

    @property
    def records(self) -> list[logging.LogRecord]:
        return [record for record in self.caplog.records if record.name == "oauth2.security"]

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]

    def of(self, kind: str) -> list[SecurityEvent]:
        return [event for event in self.events if event.kind == kind]

    def assert_logged_as_sent(self) -> None:
        """Every event has one structured log record with the same fields, and nothing else was logged."""
        logged = [record.oauth2_event for record in self.records]  # type: ignore[attr-defined]
        sent = [{key: value for key, value in asdict(event).items() if value is not None} for event in self.events]
        assert sorted(map(repr, logged)) == sorted(map(repr, sent))
        for record in self.records:
            expected = logging.INFO if record.oauth2_event["kind"] == "token_issued" else logging.WARNING  # type: ignore[attr-defined]
            assert record.levelno == expected
            assert record.getMessage().startswith(record.oauth2_event["kind"])  # type: ignore[attr-defined]

    def assert_no_secrets(self, **secrets: list[str]) -> None:
        assert_no_secrets(secrets, [*log_texts(self.caplog.records), *repr_texts(self.events)])


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[Captured]:
    caplog.set_level(logging.INFO, logger="oauth2.security")
    capture = Captured(caplog)
    security_event.connect(capture.receive)
    try:
        yield capture
    finally:
        security_event.disconnect(capture.receive)


def _credentials(registered: Registered) -> dict[str, str]:
    return {"client_id": registered.client_id, "client_secret": registered.secret or ""}


def _password_form(registered: Registered, user: User, **overrides: str) -> dict[str, str]:
    return {
        "grant_type": "password",
        "username": user.username,
        "password": PASSWORD,
        **_credentials(registered),
        **overrides,
    }


# -- issued, refused, reuse --------------------------------------------------------------------


def test_token_issued(captured: Captured, client: HttpClient, registered: Registered, user: User) -> None:
    body = post_token(client, _password_form(registered, user), REMOTE_ADDR="192.0.2.5").json()
    assert captured.kinds() == ["token_issued"]
    assert captured.events[0] == SecurityEvent(
        "token_issued",
        grant_type="password",
        client_id=registered.client_id,
        user_id=str(user.pk),
        token=body["access_token"][:9],
        client_ip="192.0.2.5",
    )
    captured.assert_logged_as_sent()
    captured.assert_no_secrets(
        password=[PASSWORD],
        client_secret=[registered.secret or ""],
        tokens=[body["access_token"], body["refresh_token"]],
    )


def test_token_refused(captured: Captured, client: HttpClient, registered: Registered, user: User) -> None:
    post_token(client, _password_form(registered, user, password="not-" + PASSWORD))
    post_token(client, _password_form(registered, user, client_secret="o2cs_" + "w" * 43))
    assert captured.kinds() == ["token_refused", "token_refused"]
    wrong_password, wrong_secret = captured.events
    assert wrong_password.reason == "invalid_grant: the username or password is incorrect"
    assert (wrong_password.grant_type, wrong_password.client_id) == ("password", registered.client_id)
    assert wrong_secret.reason == "invalid_client: client authentication failed"
    assert wrong_secret.client_id is None, "an unauthenticated client_id is client-chosen text, never logged"
    captured.assert_logged_as_sent()
    captured.assert_no_secrets(password=[PASSWORD, "not-" + PASSWORD], client_secret=[registered.secret or ""])


def test_refresh_reuse_revokes_the_family(
    captured: Captured, client: HttpClient, registered: Registered, user: User
) -> None:
    first = post_token(client, _password_form(registered, user)).json()
    refresh_form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], **_credentials(registered)}
    second = post_token(client, refresh_form).json()
    post_token(client, refresh_form)
    assert captured.kinds() == ["token_issued", "token_issued", "refresh_reuse", "token_refused"]
    reuse = captured.of("refresh_reuse")[0]
    assert reuse.token == first["refresh_token"][:9]
    assert (reuse.client_id, reuse.user_id, reuse.grant_type) == (registered.client_id, str(user.pk), "refresh_token")
    # The second pair and the consumed first refresh token; the first access token was revoked by rotation.
    assert reuse.reason == "family revoked (3 tokens)"
    captured.assert_logged_as_sent()
    captured.assert_no_secrets(
        tokens=[first["access_token"], first["refresh_token"], second["access_token"], second["refresh_token"]],
        client_secret=[registered.secret or ""],
    )


class ConsumeFirst:
    """A wrapper plugin standing in for the other side of a race: the token is used up just before we rotate."""

    @hookimpl(wrapper=True)
    def oauth2_store_rotate_refresh_token(self, consumed_digest: str, tokens: IssuedTokens) -> Iterator[None]:
        from django.utils import timezone

        RefreshToken.objects.filter(digest=consumed_digest).update(consumed_at=timezone.now())
        return (yield)


def test_refresh_reuse_by_a_concurrent_request(
    captured: Captured, client: HttpClient, registered: Registered, user: User
) -> None:
    first = post_token(client, _password_form(registered, user)).json()
    refresh_form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], **_credentials(registered)}
    plugin = ConsumeFirst()
    get_server().pluginmanager.register(plugin)
    try:
        assert post_token(client, refresh_form).json()["error"] == "invalid_grant"
    finally:
        get_server().pluginmanager.unregister(plugin)
    assert captured.kinds() == ["token_issued", "refresh_reuse", "token_refused"]
    assert captured.of("refresh_reuse")[0].reason == "concurrent use of one refresh token"
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
    captured.assert_logged_as_sent()
    captured.assert_no_secrets(tokens=[first["access_token"], first["refresh_token"]])


def test_throttled(captured: Captured, client: HttpClient, registered: Registered, user: User) -> None:
    limits = {"max_failures_per_username": 2, "max_failures_per_ip": 50, "failure_window": 600, "lockout_seconds": 60}
    caches["default"].clear()
    with override_settings(OAUTH2_SERVER=server_setting(GRANT_OPTIONS={"password": limits})):
        for _ in range(2):
            post_token(client, _password_form(registered, user, password="guess"), REMOTE_ADDR="192.0.2.7")
        assert post_token(client, _password_form(registered, user), REMOTE_ADDR="192.0.2.7").status_code == 429
    throttled = captured.of("throttled")
    assert [event.reason for event in throttled] == [
        "lockout started: 2 failed attempts for one username within 600 seconds; locked for 60 seconds",
        "locked out for 60 more seconds",
    ]
    assert all(
        (e.client_id, e.client_ip, e.grant_type) == (registered.client_id, "192.0.2.7", "password") for e in throttled
    )
    assert (
        captured.of("token_refused")[-1].reason == "invalid_grant: too many failed attempts; wait before trying again"
    )
    captured.assert_logged_as_sent()
    captured.assert_no_secrets(password=[PASSWORD, "guess"], client_secret=[registered.secret or ""])


def test_observer_failure_on_a_refusal_reaches_the_site() -> None:
    """Receivers run synchronously: a broken one is a server error, never a silently dropped audit event."""

    def broken(sender: Any, event: SecurityEvent, **kwargs: Any) -> None:
        raise RuntimeError("audit log down")

    security_event.connect(broken)
    try:
        response = post_token(HttpClient(), {"grant_type": "password"})
    finally:
        security_event.disconnect(broken)
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"


# -- aws_identity refusals ------------------------------------------------------------------------------

SERVER_ID = "https://oauth2.example.test"
CALLER = "arn:aws:iam::123456789012:role/deployer"


class FakeSts(BaseHTTPRequestHandler):
    """STS on 127.0.0.1, answering as ``mode`` says: a caller identity, a refusal, or an outage."""

    mode: ClassVar[str] = "identity"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.mode == "identity":
            status, body = (
                200,
                (
                    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                    f"<GetCallerIdentityResult><Arn>{CALLER}</Arn><UserId>AROAEXAMPLE</UserId>"
                    "<Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
                ),
            )
        elif self.mode == "refuse":
            status, body = 403, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>"
        else:
            status, body = 503, "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>"
        encoded = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def sts() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        FakeSts.mode = "identity"


class AwsHost:
    """The grant's host hooks for this test: a replay memory in a set, and one binding (or none)."""

    def __init__(self, client_id: str | None) -> None:
        self.client_id = client_id
        self.seen: set[str] = set()

    @hookimpl(optionalhook=True)
    def oauth2_aws_identity_remember(self, key: str, ttl: int) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    @hookimpl(optionalhook=True)
    def oauth2_aws_identity_bind(self, identity: Any) -> Any:
        from oauth2_grant_aws_identity import AwsBinding

        client = None if self.client_id is None else host.oauth2_host_find_client(self.client_id)
        if client is None or identity.subject != CALLER:
            return None
        return AwsBinding(client=client, user_id=None, scopes=frozenset({"read"}))


def test_aws_identity_refusals(captured: Captured, sts: str, make_client: Any, db: None) -> None:
    pytest.importorskip("oauth2_grant_aws_identity")
    from oauth2_grant_aws_identity.client import AwsCredentials, build_token_parameters

    bound = make_client(grant_types=("aws_identity",), scope=("read",), name="deployer")
    aws = AwsHost(bound.client_id)
    config = ServerConfig(
        grants=("aws_identity",),
        grant_options={"aws_identity": {"server_id": SERVER_ID, "sts_endpoint": sts}},
    )
    server = build_server(config, [host, store, signals, aws])
    secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    session_tokens: list[str] = []

    def signed() -> dict[str, str]:
        # A session token of its own per request (it is signed): two requests signed in one second with
        # the same credentials and headers would otherwise carry one signature, and the second be a replay.
        session_tokens.append(f"FwoGZXIvYXdzEXAMPLESESSIONTOKEN{len(session_tokens):04d}+/=")
        credentials = AwsCredentials("AKIAEXAMPLEEXAMPLE01", secret_key, session_tokens[-1])
        return build_token_parameters(credentials, region="us-east-1", server_id=SERVER_ID, sts_endpoint=sts)

    def send(form: dict[str, str]) -> dict[str, Any]:
        answer = handle_token_request(
            server, TokenRequest("POST", FORM_CONTENT_TYPE, None, urlencode(form).encode(), "192.0.2.9")
        )
        return answer.json()

    forms = [signed()]
    issued = send(forms[0])  # bound: a token
    assert send(forms[0])["error"] == "invalid_grant"  # the same signed request again
    assert send({**signed(), "region": "us-east-1.evil.example"})["error"] == "invalid_request"
    FakeSts.mode = "refuse"
    forms.append(signed())
    assert send(forms[-1])["error"] == "invalid_grant"
    FakeSts.mode = "down"
    forms.append(signed())
    assert send(forms[-1])["error"] == "temporarily_unavailable"
    FakeSts.mode = "identity"
    aws.client_id = None
    forms.append(signed())
    assert send(forms[-1])["error"] == "invalid_grant"

    assert captured.kinds() == ["token_issued", *["token_refused"] * 5]
    assert captured.events[0].client_id == bound.client_id
    assert captured.events[0].token == issued["access_token"][:9]
    refusals = captured.of("token_refused")
    assert all(event.grant_type == "aws_identity" and event.client_ip == "192.0.2.9" for event in refusals)
    assert [event.reason for event in refusals] == [
        "invalid_grant: this signed request was already used; sign a new one for each token request",
        "invalid_request: region must be an AWS region name, such as us-east-1, that this server accepts",
        "invalid_grant: AWS STS refused the signed request; sign a new request with valid credentials",
        "temporarily_unavailable: AWS STS gave no usable answer; try again later",
        "invalid_grant: this AWS identity is not bound to any client on this server",
    ]
    captured.assert_logged_as_sent()
    signatures = [json.loads(form["headers_json"])["Authorization"].rpartition("Signature=")[2] for form in forms]
    captured.assert_no_secrets(
        signature=signatures,
        aws_secret=[secret_key],
        session_token=session_tokens,
        access_token=[issued["access_token"]],
    )
