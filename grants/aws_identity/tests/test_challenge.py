"""Challenge mode: a one-time nonce from the server, signed by the client, used up by the request."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
from aws_support import (
    REGION,
    Deployment,
    Listener,
    error_of,
    fake_credentials,
    form_for,
    sign_awsv4,
    stored_tokens,
)

from oauth2_grant_aws_identity import POST_BODY, challenge_enabled, handle_challenge_request
from oauth2_grant_aws_identity.testing import ALICE, LoopbackSts

BODY_HASH = hashlib.sha256(POST_BODY.encode()).hexdigest()


@pytest.fixture
def deployment(make_deployment: Callable[..., Deployment], moto: LoopbackSts) -> Deployment:
    built = make_deployment(sts_endpoint=moto.url, challenge=True, challenge_ttl=60)
    built.aws.bind_subject(ALICE, "workload", user_id="7")
    return built


def new_nonce(deployment: Deployment) -> str:
    response = handle_challenge_request(deployment.server, "POST")
    assert response.status == 200
    assert ("Cache-Control", "no-store") in response.headers
    body = response.json()
    assert body["header"] == "X-OAuth2-Challenge" and body["expires_in"] == 60
    nonce = body["nonce"]
    assert isinstance(nonce, str) and len(nonce) == 43
    return nonce


def test_signed_nonce_gets_a_token(deployment: Deployment, moto: LoopbackSts) -> None:
    assert challenge_enabled(deployment.server)
    nonce = new_nonce(deployment)
    headers = sign_awsv4(moto.alice, moto.host, extra={"X-OAuth2-Challenge": nonce})
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 200, response.json()
    assert deployment.aws.nonces == {}


def test_a_nonce_works_once(deployment: Deployment, moto: LoopbackSts) -> None:
    nonce = new_nonce(deployment)
    first = sign_awsv4(moto.alice, moto.host, extra={"X-OAuth2-Challenge": nonce})
    assert deployment.post(form_for(REGION, first)).status == 200
    # A new signature (one more signed header) over the same nonce: not a replay of the request, still refused.
    second = sign_awsv4(moto.alice, moto.host, extra={"X-OAuth2-Challenge": nonce, "X-Amz-Content-Sha256": BODY_HASH})
    response = deployment.post(form_for(REGION, second))
    assert response.status == 400 and error_of(response) == "invalid_grant"
    assert "challenge" in str(response.json()["error_description"])
    assert stored_tokens(deployment) == 1


def test_unknown_nonce_is_refused_before_sts(make_deployment: Callable[..., Deployment], listener: Listener) -> None:
    deployment = make_deployment(sts_endpoint=listener.url, challenge=True, challenge_ttl=60)
    headers = sign_awsv4(fake_credentials(), listener.host, extra={"X-OAuth2-Challenge": "A" * 43})
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 400 and error_of(response) == "invalid_grant"
    assert listener.connections == 0


def test_expired_nonce_is_refused(deployment: Deployment, moto: LoopbackSts) -> None:
    nonce = new_nonce(deployment)
    headers = sign_awsv4(moto.alice, moto.host, extra={"X-OAuth2-Challenge": nonce})
    deployment.clock.advance(61)
    # Keep X-Amz-Date fresh by comparison: the request is 61 s old, well inside the 300 s window.
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 400 and error_of(response) == "invalid_grant"


def test_missing_or_unsigned_challenge_header_is_refused(
    make_deployment: Callable[..., Deployment], listener: Listener
) -> None:
    deployment = make_deployment(sts_endpoint=listener.url, challenge=True, challenge_ttl=60)
    unsigned = {**sign_awsv4(fake_credentials(), listener.host), "X-OAuth2-Challenge": new_nonce(deployment)}
    malformed = sign_awsv4(fake_credentials(), listener.host, extra={"X-OAuth2-Challenge": "short"})
    for headers in (sign_awsv4(fake_credentials(), listener.host), unsigned, malformed):
        response = deployment.post(form_for(REGION, headers))
        assert response.status == 400 and error_of(response) == "invalid_request"
    assert listener.connections == 0


def test_challenge_endpoint_takes_post_only(deployment: Deployment) -> None:
    response = handle_challenge_request(deployment.server, "GET")
    assert response.status == 405 and ("Allow", "POST") in response.headers
    assert deployment.aws.nonces == {}


def test_challenge_endpoint_is_404_when_challenge_mode_is_off(make_deployment: Callable[..., Deployment]) -> None:
    deployment = make_deployment()
    assert not challenge_enabled(deployment.server)
    response = handle_challenge_request(deployment.server, "POST")
    assert response.status == 404
    assert json.loads(response.body)["error"] == "invalid_request"
