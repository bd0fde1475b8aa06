"""The outbound call against a fake STS on loopback: odd answers, failures, what is forwarded.

STS trouble is a 503 JSON error with no token stored; an identity we do not
accept is ``invalid_grant``; neither is ever a 5xx crash.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable

import pytest
from aws_support import (
    REGION,
    SERVER_ID,
    Canned,
    Deployment,
    FakeSts,
    Listener,
    caller_identity_xml,
    error_of,
    fake_credentials,
    form_for,
    sign_botocore,
    stored_tokens,
)
from botocore.credentials import Credentials

from oauth2_grant_aws_identity import POST_BODY
from oauth2_grant_aws_identity.testing import free_port

USER = "arn:aws:iam::123456789012:user/ci/builder"


@pytest.fixture
def deployment(make_deployment: Callable[..., Deployment], fake_sts: FakeSts) -> Deployment:
    built = make_deployment(sts_endpoint=fake_sts.url, read_timeout=1.0, connect_timeout=1.0, max_response_bytes=4096)
    built.aws.bind_subject("arn:aws:iam::123456789012:*", "workload", user_id="42")
    return built


def post(deployment: Deployment, host: str, credentials: Credentials | None = None) -> tuple[int, str]:
    response = deployment.post(form_for(REGION, sign_botocore(credentials or fake_credentials(), host)))
    return response.status, error_of(response) if response.status != 200 else ""


def test_answer_with_a_bound_identity_gets_a_token(deployment: Deployment, fake_sts: FakeSts) -> None:
    fake_sts.answer = Canned(body=caller_identity_xml(USER))
    assert post(deployment, fake_sts.host) == (200, "")
    assert [identity.subject for identity in deployment.aws.bind_calls] == [USER]


def test_only_allow_listed_headers_are_forwarded(deployment: Deployment, fake_sts: FakeSts) -> None:
    fake_sts.answer = Canned(body=caller_identity_xml(USER))
    headers = sign_botocore(fake_credentials(), fake_sts.host)
    headers.update({"X-Forwarded-For": "10.0.0.1", "Cookie": "session=1", "Proxy-Authorization": "Basic eA=="})
    response = deployment.post(form_for(REGION, headers))
    assert response.status == 200
    [(path, received, body)] = fake_sts.received
    assert path == "/"
    assert body == POST_BODY.encode()
    names = {name.lower() for name in received}
    assert names <= {
        "host",
        "authorization",
        "x-amz-date",
        "x-oauth2-server-id",
        "content-type",
        "content-length",
        "accept",
        "accept-encoding",
        "user-agent",
        "connection",
    }
    assert received["Host"] == fake_sts.host
    assert received["Accept"] == "text/xml"
    assert received["Accept-Encoding"] == "identity"
    assert received["X-OAuth2-Server-ID"] == SERVER_ID
    assert received["Authorization"] == headers["Authorization"]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_sts_5xx_is_503_and_no_token(deployment: Deployment, fake_sts: FakeSts, status: int) -> None:
    fake_sts.answer = Canned(status=status, body=b"<Error/>")
    response = deployment.post(form_for(REGION, sign_botocore(fake_credentials(), fake_sts.host)))
    assert response.status == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert ("Retry-After", "5") in response.headers
    assert stored_tokens(deployment) == 0


def test_sts_unreachable_is_503_and_no_token(make_deployment: Callable[..., Deployment]) -> None:
    closed = free_port()
    deployment = make_deployment(sts_endpoint=f"http://127.0.0.1:{closed}/", connect_timeout=1.0)
    deployment.aws.bind_subject("*", "workload")
    assert post(deployment, f"127.0.0.1:{closed}") == (503, "temporarily_unavailable")
    assert stored_tokens(deployment) == 0


def test_sts_too_slow_is_503(deployment: Deployment, fake_sts: FakeSts) -> None:
    fake_sts.answer = Canned(body=caller_identity_xml(USER), delay=2.0)
    assert post(deployment, fake_sts.host) == (503, "temporarily_unavailable")
    assert stored_tokens(deployment) == 0


def test_sts_that_hangs_up_is_503(make_deployment: Callable[..., Deployment], listener: Listener) -> None:
    deployment = make_deployment(sts_endpoint=listener.url)
    assert post(deployment, listener.host) == (503, "temporarily_unavailable")


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_oversized_answer_is_503(deployment: Deployment, fake_sts: FakeSts, declared: bool) -> None:
    padding = b"<!-- " + b"x" * 10_000 + b" -->"
    fake_sts.answer = Canned(body=padding + caller_identity_xml(USER), send_length=declared)
    assert post(deployment, fake_sts.host) == (503, "temporarily_unavailable")


def test_compressed_answer_is_refused(deployment: Deployment, fake_sts: FakeSts) -> None:
    fake_sts.answer = Canned(body=gzip.compress(caller_identity_xml(USER)), headers={"Content-Encoding": "gzip"})
    assert post(deployment, fake_sts.host) == (503, "temporarily_unavailable")


def test_redirect_is_not_followed(deployment: Deployment, fake_sts: FakeSts, listener: Listener) -> None:
    fake_sts.answer = Canned(status=307, headers={"Location": listener.url})
    assert post(deployment, fake_sts.host) == (503, "temporarily_unavailable")
    assert listener.connections == 0


@pytest.mark.parametrize("status", [400, 403])
def test_signature_refused_is_invalid_grant(deployment: Deployment, fake_sts: FakeSts, status: int) -> None:
    error = b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>"
    fake_sts.answer = Canned(status=status, body=error)
    assert post(deployment, fake_sts.host) == (400, "invalid_grant")


def test_throttling_is_503_not_invalid_grant(deployment: Deployment, fake_sts: FakeSts) -> None:
    throttled = b"<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>"
    fake_sts.answer = Canned(status=400, body=throttled)
    assert post(deployment, fake_sts.host) == (503, "temporarily_unavailable")


@pytest.mark.parametrize("status", [301, 404, 405, 429])
def test_unexpected_status_is_503(deployment: Deployment, fake_sts: FakeSts, status: int) -> None:
    fake_sts.answer = Canned(status=status)
    assert post(deployment, fake_sts.host) == (503, "temporarily_unavailable")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>&lol3;</Arn><UserId>x</UserId><Account>123456789012</Account></GetCallerIdentityResult>
</GetCallerIdentityResponse>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY arn SYSTEM "file:///etc/hostname">]>
<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>&arn;</Arn><UserId>x</UserId><Account>123456789012</Account></GetCallerIdentityResult>
</GetCallerIdentityResponse>"""


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        b"not xml",
        b"",
        b'{"Arn": "arn:aws:iam::123456789012:user/x"}',
        b'<?xml version="1.0" encoding="x-unknown"?><a/>',
        caller_identity_xml(USER).replace(b"GetCallerIdentityResponse", b"AssumeRoleResponse"),
        caller_identity_xml(USER).replace(b"https://sts.amazonaws.com/doc/2011-06-15/", b"urn:other"),
        caller_identity_xml(USER).replace(b"<UserId>AIDAEXAMPLEEXAMPLE01</UserId>", b""),
        caller_identity_xml(USER).replace(b"<Account>123456789012</Account>", b"<Account></Account>"),
        caller_identity_xml(USER).replace(b"<Arn>", b"<Arn>arn:aws:iam::123456789012:user/a</Arn><Arn>"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "text",
        "empty",
        "json",
        "unknown-encoding",
        "other-document",
        "other-namespace",
        "no-user-id",
        "empty-account",
        "two-arns",
    ],
)
def test_unusable_answer_is_503(deployment: Deployment, fake_sts: FakeSts, body: bytes) -> None:
    fake_sts.answer = Canned(body=body)
    assert post(deployment, fake_sts.host) == (503, "temporarily_unavailable")
    assert deployment.aws.bind_calls == []
    assert stored_tokens(deployment) == 0


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::123456789012:group/admins",
        "arn:aws:sts::123456789012:assumed-role/only-role",
        "arn:aws:iam::123456789012:user//double",
        "arn:aws:s3:::bucket",
        "arn:aws:iam:us-east-1:123456789012:user/x",
        "arn:aws-iso:iam::123456789012:user/x",
        "arn:aws:iam::12345:user/x",
        "not-an-arn",
        "arn:aws:iam::123456789012:user/" + "x" * 65,
    ],
)
def test_unsupported_or_malformed_arn_is_invalid_grant(deployment: Deployment, fake_sts: FakeSts, arn: str) -> None:
    fake_sts.answer = Canned(body=caller_identity_xml(arn))
    assert post(deployment, fake_sts.host) == (400, "invalid_grant")
    assert deployment.aws.bind_calls == []
    assert stored_tokens(deployment) == 0


def test_root_arn_error_says_why(deployment: Deployment, fake_sts: FakeSts) -> None:
    fake_sts.answer = Canned(body=caller_identity_xml("arn:aws:iam::123456789012:root"))
    response = deployment.post(form_for(REGION, sign_botocore(fake_credentials(), fake_sts.host)))
    assert "root" in str(response.json()["error_description"])


def test_arn_and_account_that_disagree_are_invalid_grant(deployment: Deployment, fake_sts: FakeSts) -> None:
    fake_sts.answer = Canned(body=caller_identity_xml(USER, account="210987654321"))
    assert post(deployment, fake_sts.host) == (400, "invalid_grant")


def test_federated_user_can_be_bound(deployment: Deployment, fake_sts: FakeSts) -> None:
    federated = "arn:aws:sts::123456789012:federated-user/contractor"
    deployment.aws.bind_subject(federated, "workload")
    fake_sts.answer = Canned(body=caller_identity_xml(federated))
    assert post(deployment, fake_sts.host) == (200, "")
    assert deployment.aws.bind_calls[0].subject == federated


def test_binding_to_a_client_without_the_grant_type_is_refused(deployment: Deployment, fake_sts: FakeSts) -> None:
    deployment.host.add_client("other", confidential=False, grant_types=("password",))
    deployment.aws.rules.clear()
    deployment.aws.bind_subject("*", "other")
    fake_sts.answer = Canned(body=caller_identity_xml(USER))
    assert post(deployment, fake_sts.host) == (400, "unauthorized_client")
    assert stored_tokens(deployment) == 0


def test_authenticated_client_must_be_the_bound_client(deployment: Deployment, fake_sts: FakeSts) -> None:
    secret = deployment.host.add_client("someone-else", grant_types=("aws_identity",))
    assert secret is not None
    fake_sts.answer = Canned(body=caller_identity_xml(USER))
    headers = sign_botocore(fake_credentials(), fake_sts.host)
    response = deployment.post(form_for(REGION, headers), basic=("someone-else", secret))
    assert response.status == 400 and error_of(response) == "invalid_grant"
    assert stored_tokens(deployment) == 0


def test_sts_down_then_the_same_request_is_a_replay(deployment: Deployment, fake_sts: FakeSts) -> None:
    """The replay check comes before the call, so a request is spent even when STS fails: sign a new one."""
    fake_sts.answer = Canned(status=503)
    form = form_for(REGION, sign_botocore(fake_credentials(), fake_sts.host))
    assert deployment.post(form).status == 503
    fake_sts.answer = Canned(body=caller_identity_xml(USER))
    again = deployment.post(form)
    assert again.status == 400 and error_of(again) == "invalid_grant"
    assert len(fake_sts.received) == 1
