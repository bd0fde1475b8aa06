"""The full flow against a real SigV4 verifier: moto in server mode on 127.0.0.1.

moto starts with ``INITIAL_NO_AUTH_ACTION_COUNT`` equal to the number of
set-up calls, so every GetCallerIdentity the grant forwards is checked
against the IAM access keys created during set-up.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable

import pytest
import requests
from aws_support import (
    REGION,
    Deployment,
    error_of,
    form_for,
    sign_awsv4,
    sign_botocore,
    stored_tokens,
)
from botocore.credentials import Credentials

from oauth2_core.tokens import digest
from oauth2_grant_aws_identity import POST_BODY
from oauth2_grant_aws_identity.testing import ALICE, BOB, DEPLOYER, LoopbackSts

BODY_SHA256 = hashlib.sha256(POST_BODY.encode()).hexdigest()


@pytest.fixture
def deployment(make_deployment: Callable[..., Deployment], moto: LoopbackSts) -> Deployment:
    built = make_deployment(sts_endpoint=moto.url)
    built.aws.bind_subject(ALICE, "workload", user_id="7", scopes=("read", "write"), max_lifetime=600)
    built.aws.bind_subject(DEPLOYER, "workload", user_id=None, scopes=("read",))
    return built


def test_moto_itself_rejects_a_bad_signature(moto: LoopbackSts) -> None:
    """The verifier is real: a signature made with the wrong secret is refused, the right one accepted."""
    good = sign_botocore(moto.alice, moto.host)
    wrong = sign_botocore(Credentials(moto.alice.access_key, "not-the-secret"), moto.host)
    accepted = requests.post(moto.url, data=POST_BODY, headers=good, timeout=10)
    refused = requests.post(moto.url, data=POST_BODY, headers=wrong, timeout=10)
    assert accepted.status_code == 200 and ALICE in accepted.text
    assert refused.status_code == 403 and "SignatureDoesNotMatch" in refused.text


@pytest.mark.parametrize("signer", [sign_awsv4, sign_botocore], ids=["awsv4sign", "botocore"])
def test_signed_request_gets_a_token(
    deployment: Deployment, moto: LoopbackSts, signer: Callable[..., dict[str, str]]
) -> None:
    response = deployment.post(form_for(REGION, signer(moto.alice, moto.host)))
    assert response.status == 200, response.json()
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body
    assert body["scope"] == "read write"
    assert body["expires_in"] == 600  # the binding's cap, below the server's 3600
    record = deployment.store.access[digest(str(body["access_token"]))]
    assert (record.client_id, record.user_id) == ("workload", "7")
    assert not deployment.store.refresh
    [identity] = deployment.aws.bind_calls
    assert (identity.subject, identity.path, identity.name) == (ALICE, "/team/", "alice")


def test_requested_scope_is_narrowed_to_the_binding(deployment: Deployment, moto: LoopbackSts) -> None:
    narrowed = deployment.post(form_for(REGION, sign_botocore(moto.alice, moto.host), scope="read"))
    assert narrowed.status == 200 and narrowed.json()["scope"] == "read"
    # Signed with one more header: otherwise it is the same signed request (same second) and a replay.
    headers = sign_botocore(moto.alice, moto.host, extra={"X-Amz-Content-Sha256": BODY_SHA256})
    too_much = deployment.post(form_for(REGION, headers, scope="admin"))
    assert too_much.status == 400 and error_of(too_much) == "invalid_scope"


def test_assumed_role_session_is_bound_by_its_role(deployment: Deployment, moto: LoopbackSts) -> None:
    response = deployment.post(form_for(REGION, sign_awsv4(moto.role_session, moto.host)))
    assert response.status == 200, response.json()
    [identity] = deployment.aws.bind_calls
    assert identity.arn == "arn:aws:sts::123456789012:assumed-role/deployer/build-7"
    assert identity.subject == DEPLOYER
    assert identity.session_name == "build-7"
    record = deployment.store.access[digest(str(response.json()["access_token"]))]
    assert record.user_id is None and record.scope == frozenset({"read"})


def test_unmapped_identity_is_invalid_grant(deployment: Deployment, moto: LoopbackSts) -> None:
    response = deployment.post(form_for(REGION, sign_botocore(moto.bob, moto.host)))
    assert response.status == 400 and error_of(response) == "invalid_grant"
    assert [identity.subject for identity in deployment.aws.bind_calls] == [BOB]
    assert stored_tokens(deployment) == 0


def test_same_signed_request_twice_gives_one_token(deployment: Deployment, moto: LoopbackSts) -> None:
    form = form_for(REGION, sign_awsv4(moto.alice, moto.host))
    first, second = deployment.post(form), deployment.post(form)
    assert first.status == 200
    assert second.status == 400 and error_of(second) == "invalid_grant"
    assert "already used" in str(second.json()["error_description"])
    assert stored_tokens(deployment) == 1


def test_concurrent_copies_of_one_signed_request_give_one_token(deployment: Deployment, moto: LoopbackSts) -> None:
    form = form_for(REGION, sign_botocore(moto.alice, moto.host))
    start = threading.Barrier(6)
    statuses: list[int] = []

    def post() -> None:
        start.wait()
        statuses.append(deployment.post(form).status)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 400, 400, 400, 400, 400]
    assert stored_tokens(deployment) == 1


def test_tampered_body_is_refused_by_sts(deployment: Deployment, moto: LoopbackSts) -> None:
    """The reversed body passes our checks (it is the same call) but is not what was signed."""
    headers = sign_awsv4(moto.alice, moto.host)
    response = deployment.post(form_for(REGION, headers, post_body="Version=2011-06-15&Action=GetCallerIdentity"))
    assert response.status == 400 and error_of(response) == "invalid_grant"
    assert "STS refused" in str(response.json()["error_description"])
    assert stored_tokens(deployment) == 0


def test_reversed_body_signed_as_such_is_accepted(deployment: Deployment, moto: LoopbackSts) -> None:
    body = "Version=2011-06-15&Action=GetCallerIdentity"
    response = deployment.post(form_for(REGION, sign_botocore(moto.alice, moto.host, body=body), post_body=body))
    assert response.status == 200, response.json()


def _flip_last_hex_digit(headers: dict[str, str]) -> dict[str, str]:
    value = headers["Authorization"]
    flipped = "0" if value[-1] != "0" else "1"
    return {**headers, "Authorization": value[:-1] + flipped}


def test_tampered_signature_is_refused_by_sts(deployment: Deployment, moto: LoopbackSts) -> None:
    headers = _flip_last_hex_digit(sign_botocore(moto.alice, moto.host))
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 400 and error_of(response) == "invalid_grant"
    assert stored_tokens(deployment) == 0


def test_wrong_secret_is_refused_by_sts(deployment: Deployment, moto: LoopbackSts) -> None:
    headers = sign_awsv4(Credentials(moto.alice.access_key, "wrong-secret-key"), moto.host)
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 400 and error_of(response) == "invalid_grant"
    assert stored_tokens(deployment) == 0


def test_unknown_access_key_is_refused_by_sts(deployment: Deployment, moto: LoopbackSts) -> None:
    headers = sign_awsv4(Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG"), moto.host)
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 400 and error_of(response) == "invalid_grant"


def test_tampered_session_token_is_refused_by_sts(deployment: Deployment, moto: LoopbackSts) -> None:
    session = moto.role_session
    headers = sign_botocore(session, moto.host)
    token = headers["X-Amz-Security-Token"]
    headers["X-Amz-Security-Token"] = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 400 and error_of(response) == "invalid_grant"


def test_request_signed_for_another_host_is_refused_by_sts(deployment: Deployment, moto: LoopbackSts) -> None:
    """Without a Host entry our check cannot see it; the signature still covers the host, so STS refuses."""
    headers = sign_botocore(moto.alice, "sts.us-east-1.amazonaws.com")
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 400 and error_of(response) == "invalid_grant"
    assert stored_tokens(deployment) == 0


def test_server_id_value_is_covered_by_the_signature(deployment: Deployment, moto: LoopbackSts) -> None:
    """Rewriting the server-ID header after signing (to reuse a request meant for another server) fails at STS."""
    headers = sign_awsv4(moto.alice, moto.host, server_id="https://other-server.example")
    headers["X-OAuth2-Server-ID"] = "https://auth.example.test"
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 400 and error_of(response) == "invalid_grant"


def test_stale_request_is_refused_before_sts(deployment: Deployment, moto: LoopbackSts) -> None:
    headers = sign_awsv4(moto.alice, moto.host)
    deployment.clock.advance(301)
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 400 and error_of(response) == "invalid_grant"
    assert deployment.aws.remember_calls == []


def test_replay_memory_lives_as_long_as_the_window(deployment: Deployment, moto: LoopbackSts) -> None:
    form = form_for(REGION, sign_awsv4(moto.alice, moto.host))
    assert deployment.post(form).status == 200
    [(key, ttl)] = deployment.aws.remember_calls
    assert key.startswith("oauth2:aws_identity:sig:") and len(key) <= 100
    signature = json.loads(form["headers_json"])["Authorization"].rpartition("Signature=")[2]
    assert signature not in key
    assert 300 <= ttl <= 302  # skew 300 s either way: the request stays acceptable up to 300 s after its date
