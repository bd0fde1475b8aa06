"""The client helper and console script, against a real token endpoint on loopback and moto.

The token endpoint is oauth2_core's, served by wsgiref on 127.0.0.1, so the
helper's request crosses a real socket exactly as it would in production.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from aws_support import REGION, SERVER_ID, Deployment, fake_credentials, stored_tokens

from oauth2_core import TokenRequest, handle_token_request
from oauth2_core.tokens import digest
from oauth2_grant_aws_identity import handle_challenge_request
from oauth2_grant_aws_identity.cli import main
from oauth2_grant_aws_identity.client import AwsCredentials, ClientError, build_token_parameters, request_token
from oauth2_grant_aws_identity.testing import ALICE, DEPLOYER, LoopbackSts, free_port


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def wsgi_app(deployment: Deployment) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        if environ["PATH_INFO"] == "/challenge":
            response = handle_challenge_request(deployment.server, environ["REQUEST_METHOD"])
        else:
            request = TokenRequest(
                environ["REQUEST_METHOD"], environ.get("CONTENT_TYPE"), environ.get("HTTP_AUTHORIZATION"), body
            )
            response = handle_token_request(deployment.server, request)
        start_response(f"{response.status} X", list(response.headers))
        return [response.body]

    return app


@pytest.fixture
def endpoint(make_deployment: Callable[..., Deployment], moto: LoopbackSts) -> Iterator[tuple[Deployment, str]]:
    deployment = make_deployment(sts_endpoint=moto.url, challenge=True)
    deployment.aws.bind_subject(ALICE, "workload", user_id="7", scopes=("read", "write"))
    server: WSGIServer = make_server("127.0.0.1", 0, wsgi_app(deployment), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield deployment, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def alice(moto: LoopbackSts) -> AwsCredentials:
    return AwsCredentials(moto.alice.access_key, moto.alice.secret_key)


def environment(moto: LoopbackSts) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": moto.alice.access_key, "AWS_SECRET_ACCESS_KEY": moto.alice.secret_key}


def cli_args(url: str, moto: LoopbackSts, *extra: str) -> list[str]:
    return [
        "--token-url",
        f"{url}/token",
        "--region",
        REGION,
        "--server-id",
        SERVER_ID,
        "--sts-endpoint",
        moto.url,
        "--challenge-url",
        f"{url}/challenge",
        *extra,
    ]


def test_console_script_prints_a_token(
    endpoint: tuple[Deployment, str], moto: LoopbackSts, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment, url = endpoint
    assert main(cli_args(url, moto, "--scope", "read"), environment(moto)) == 0
    token = json.loads(capsys.readouterr().out)
    assert token["token_type"] == "Bearer" and token["scope"] == "read"
    assert "refresh_token" not in token
    assert deployment.store.access[digest(token["access_token"])].user_id == "7"


def test_installed_console_script_runs(endpoint: tuple[Deployment, str], moto: LoopbackSts) -> None:
    script = Path(sys.executable).with_name("oauth2-aws-identity-token")
    env = {**os.environ, **environment(moto)}
    done = subprocess.run(
        [str(script), *cli_args(endpoint[1], moto)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["token_type"] == "Bearer"
    assert moto.alice.secret_key not in done.stdout + done.stderr


def test_console_script_reports_the_server_error(
    endpoint: tuple[Deployment, str], moto: LoopbackSts, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment, url = endpoint
    env = {"AWS_ACCESS_KEY_ID": moto.alice.access_key, "AWS_SECRET_ACCESS_KEY": "wrong-secret"}
    assert main(cli_args(url, moto), env) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert json.loads(captured.err)["error"] == "invalid_grant"
    assert "wrong-secret" not in captured.err
    assert stored_tokens(deployment) == 0


def test_console_script_without_credentials_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--token-url", "https://auth.example.test/token", "--region", REGION], {}) == 1
    assert "AWS_ACCESS_KEY_ID" in capsys.readouterr().err


def test_helper_form_carries_a_signed_server_id(moto: LoopbackSts) -> None:
    form = build_token_parameters(alice(moto), region="eu-west-1", server_id=SERVER_ID)
    headers = json.loads(form["headers_json"])
    assert form["grant_type"] == "aws_identity" and form["region"] == "eu-west-1"
    assert headers["Host"] == "sts.eu-west-1.amazonaws.com"
    assert headers["X-OAuth2-Server-ID"] == SERVER_ID
    assert "/eu-west-1/sts/aws4_request" in headers["Authorization"]
    assert "x-oauth2-server-id" in headers["Authorization"].partition("SignedHeaders=")[2].partition(",")[0]


def test_helper_signs_the_session_token(moto: LoopbackSts) -> None:
    session = moto.role_session
    credentials = AwsCredentials(session.access_key, session.secret_key, session.token)
    headers = json.loads(build_token_parameters(credentials, region=REGION, server_id=SERVER_ID)["headers_json"])
    assert headers["X-Amz-Security-Token"] == session.token
    assert "x-amz-security-token" in headers["Authorization"]


def test_helper_request_for_an_assumed_role_gets_a_token(endpoint: tuple[Deployment, str], moto: LoopbackSts) -> None:
    deployment, url = endpoint
    deployment.aws.bind_subject(DEPLOYER, "workload")
    session = moto.role_session
    credentials = AwsCredentials(session.access_key, session.secret_key, session.token)
    from oauth2_grant_aws_identity.client import fetch_challenge

    nonce, header = fetch_challenge(f"{url}/challenge")
    form = build_token_parameters(
        credentials, region=REGION, server_id=SERVER_ID, sts_endpoint=moto.url, challenge=nonce, challenge_header=header
    )
    status, body = request_token(f"{url}/token", form)
    assert status == 200, body


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"region": "us-east-1.evil.example"}, "region"),
        ({"region": "evil.example/x?"}, "region"),
        ({"server_id": "a\r\nb"}, "server id"),
        ({"server_id": " padded"}, "server id"),
        ({"server_id_header": "Bad Header"}, "header name"),
        ({"challenge": "x y  z"}, "challenge"),
        ({"sts_endpoint": "ftp://127.0.0.1/"}, "sts_endpoint"),
        ({"sts_endpoint": "http://127.0.0.1/path"}, "sts_endpoint"),
    ],
)
def test_helper_validates_inputs_before_signing(kwargs: dict[str, str], message: str) -> None:
    """awsv4sign would sys.exit or sign garbage; the helper refuses with ClientError first."""
    arguments: dict[str, Any] = {"region": REGION, "server_id": SERVER_ID, **kwargs}
    credentials = AwsCredentials(fake_credentials().access_key, fake_credentials().secret_key)
    with pytest.raises(ClientError, match=message):
        build_token_parameters(credentials, **arguments)


@pytest.mark.parametrize(
    "access_key, secret, token",
    [
        ("akia-lower", "s", None),
        ("AKIAIOSFODNN7EXAMPLE", "", None),
        ("AKIAIOSFODNN7EXAMPLE", "with space", None),
        ("AKIAIOSFODNN7EXAMPLE", "s", "bad token!"),
    ],
)
def test_credentials_are_checked(access_key: str, secret: str, token: str | None) -> None:
    with pytest.raises(ClientError):
        AwsCredentials(access_key, secret, token)


def test_credentials_keep_secrets_out_of_repr() -> None:
    credentials = AwsCredentials("AKIAIOSFODNN7EXAMPLE", "super-secret-value", "SessionTokenValue1234")
    assert "super-secret-value" not in repr(credentials) and "SessionTokenValue" not in repr(credentials)


@pytest.mark.parametrize(
    "url", ["http://auth.example.test/token", "ftp://127.0.0.1/token", "http://10.0.0.1/token", "token"]
)
def test_token_url_must_be_https_unless_loopback(url: str) -> None:
    with pytest.raises(ClientError, match="https"):
        request_token(url, {})


def test_unreachable_token_endpoint_is_a_client_error() -> None:
    with pytest.raises(ClientError, match="could not reach"):
        request_token(f"http://127.0.0.1:{free_port()}/token", {}, timeout=2)
