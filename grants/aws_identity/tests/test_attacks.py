"""Hostile requests: each is answered with a 400 JSON error and nothing is sent anywhere.

The server's ``sts_endpoint`` is a listener on 127.0.0.1 that counts
connections. Every request here is otherwise correctly signed for that
listener's host, so the one defect under test is what stops it; the control
test shows the listener does see a request that passes every check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from aws_support import (
    REGION,
    SERVER_ID,
    Deployment,
    Listener,
    deploy,
    error_of,
    fake_credentials,
    form_for,
    sign_awsv4,
    sign_botocore,
    stored_tokens,
)

from oauth2_grant_aws_identity import POST_BODY


@pytest.fixture
def deployment(make_deployment: Callable[..., Deployment], listener: Listener) -> Deployment:
    built = make_deployment(sts_endpoint=listener.url, read_timeout=2.0)
    built.aws.bind_subject("*", "workload")
    return built


def signed(listener: Listener, **kwargs: object) -> dict[str, str]:
    return sign_botocore(fake_credentials(), listener.host, **kwargs)  # type: ignore[arg-type]


def assert_refused_locally(deployment: Deployment, listener: Listener, form: dict[str, str], error: str) -> str:
    response = deployment.post(form)
    assert response.status == 400, response.json()
    assert error_of(response) == error
    assert listener.connections == 0, "a refused request reached the STS endpoint"
    assert stored_tokens(deployment) == 0
    assert deployment.aws.bind_calls == []
    return str(response.json().get("error_description", ""))


def test_control_a_valid_request_does_reach_the_listener(deployment: Deployment, listener: Listener) -> None:
    response = deployment.post(form_for(REGION, signed(listener)))
    # The listener hangs up without answering: that is STS being unavailable.
    assert response.status == 503 and error_of(response) == "temporarily_unavailable"
    assert listener.connections >= 1
    assert stored_tokens(deployment) == 0


@pytest.mark.parametrize("region", ["evil.example#", "us-east-1.evil.example", "evil.example/x?"])
def test_region_that_is_not_a_region_is_refused(deployment: Deployment, listener: Listener, region: str) -> None:
    # Signed with the hostile region in its scope, so only the region check can stop it.
    form = form_for(region, signed(listener, region=region))
    description = assert_refused_locally(deployment, listener, form, "invalid_request")
    assert "region" in description
    assert region not in description  # errors never echo client input


@pytest.mark.parametrize(
    "region", ["us-east-1 ", "US-EAST-1", "us-east-1\n", "us-iso-east-1", "us-east-100", "cn-north-1.", ""]
)
def test_region_near_misses_are_refused(deployment: Deployment, listener: Listener, region: str) -> None:
    response = deployment.post(form_for(region, signed(listener)))
    assert response.status == 400 and error_of(response) == "invalid_request"
    assert listener.connections == 0


def test_region_outside_the_allow_list_is_refused(
    make_deployment: Callable[..., Deployment], listener: Listener
) -> None:
    deployment = make_deployment(sts_endpoint=listener.url, allowed_regions=["eu-west-1"])
    form = form_for(REGION, signed(listener))
    assert_refused_locally(deployment, listener, form, "invalid_request")


def test_host_override_in_headers_json_is_refused(deployment: Deployment, listener: Listener) -> None:
    headers = {**signed(listener), "Host": "evil.example"}
    description = assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")
    assert "Host" in description


def test_host_of_the_public_endpoint_is_refused_for_a_configured_endpoint(
    deployment: Deployment, listener: Listener
) -> None:
    headers = {**signed(listener), "Host": "sts.us-east-1.amazonaws.com"}
    assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")


def test_duplicate_host_in_another_case_is_refused(deployment: Deployment, listener: Listener) -> None:
    headers = {**signed(listener), "Host": listener.host, "host": "evil.example"}
    assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")


def test_duplicate_header_in_one_json_object_is_refused(deployment: Deployment, listener: Listener) -> None:
    headers = signed(listener)
    raw = json.dumps(headers)[:-1] + ', "X-Amz-Date": "20300101T000000Z"}'
    form = form_for(REGION, headers)
    form["headers_json"] = raw
    assert_refused_locally(deployment, listener, form, "invalid_request")


@pytest.mark.parametrize(
    "post_body",
    [
        "Action=AssumeRole&Version=2011-06-15",
        "Action=GetCallerIdentity&Version=2011-06-15&RoleArn=x",
        "Action=GetCallerIdentity&Version=2011-06-15&Action=GetCallerIdentity",
        "Action=GetCallerIdentity&Version=2011-06-15&",
        "Action=GetCallerIdentity&Version=2012-01-01",
        "action=GetCallerIdentity&Version=2011-06-15",
        "Action=GetCallerIdentity%26Version=2011-06-15",
    ],
    ids=["another-action", "extra-param", "repeated-param", "trailing-separator", "other-version", "case", "escaped"],
)
def test_other_action_or_extra_body_parameters_are_refused(
    deployment: Deployment, listener: Listener, post_body: str
) -> None:
    form = form_for(REGION, signed(listener, body=post_body), post_body=post_body)
    assert_refused_locally(deployment, listener, form, "invalid_request")


def test_missing_server_id_header_is_refused(deployment: Deployment, listener: Listener) -> None:
    form = form_for(REGION, signed(listener, server_id=None))
    description = assert_refused_locally(deployment, listener, form, "invalid_request")
    assert "X-OAuth2-Server-ID" in description


def test_unsigned_server_id_header_is_refused(deployment: Deployment, listener: Listener) -> None:
    headers = {**signed(listener, server_id=None), "X-OAuth2-Server-ID": SERVER_ID}
    assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")


def test_server_id_of_another_server_is_refused(deployment: Deployment, listener: Listener) -> None:
    form = form_for(REGION, signed(listener, server_id="https://other.example"))
    assert_refused_locally(deployment, listener, form, "invalid_request")


def test_stale_x_amz_date_is_refused(deployment: Deployment, listener: Listener) -> None:
    form = form_for(REGION, signed(listener))
    deployment.clock.advance(301)
    description = assert_refused_locally(deployment, listener, form, "invalid_grant")
    assert "X-Amz-Date" in description
    assert deployment.aws.remember_calls == []


def test_future_x_amz_date_is_refused(listener: Listener) -> None:
    behind = deploy({"sts_endpoint": listener.url}, start=datetime.now(UTC) - timedelta(seconds=400))
    behind.aws.bind_subject("*", "workload")
    assert_refused_locally(behind, listener, form_for(REGION, signed(listener)), "invalid_grant")


@pytest.mark.parametrize(
    "raw",
    ["not json", "", "[]", '"a string"', "42", "null", '{"Authorization": 5}', '{"a": {"b": "c"}}', "{" * 3000, "NaN"],
    ids=["text", "empty", "array", "string", "number", "null", "non-string-value", "nested", "deep", "nan"],
)
def test_headers_json_that_is_not_an_object_of_strings_is_refused(
    deployment: Deployment, listener: Listener, raw: str
) -> None:
    form = form_for(REGION, {})
    form["headers_json"] = raw
    assert_refused_locally(deployment, listener, form, "invalid_request")


def test_deeply_nested_json_does_not_crash(deployment: Deployment, listener: Listener) -> None:
    form = form_for(REGION, {})
    form["headers_json"] = "[" * 2000 + "]" * 2000  # beyond the JSON decoder's recursion limit on 3.11 and 3.12
    assert_refused_locally(deployment, listener, form, "invalid_request")


@pytest.mark.parametrize(
    "field, value",
    [
        ("region", "us-east-" + "1" * 40),
        ("post_body", POST_BODY + "&" + "x" * 100),
        ("headers_json", json.dumps({"X-Pad": "a" * 9000})),
    ],
    ids=["region", "post_body", "headers_json"],
)
def test_oversized_inputs_are_refused(deployment: Deployment, listener: Listener, field: str, value: str) -> None:
    form = form_for(REGION, signed(listener))
    form[field] = value
    assert_refused_locally(deployment, listener, form, "invalid_request")


def test_oversized_header_value_is_refused(deployment: Deployment, listener: Listener) -> None:
    headers = {**signed(listener), "X-Amz-Security-Token": "A" * 5000}
    assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")


def test_too_many_headers_are_refused(deployment: Deployment, listener: Listener) -> None:
    headers = {**signed(listener), **{f"X-Pad-{index}": "x" for index in range(20)}}
    assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")


@pytest.mark.parametrize(
    "name, value",
    [("X-Evil", "a\r\nHost: evil.example"), ("X-Evil", "a\nb"), ("X Evil", "a"), ("X-Evil:", "a"), ("X-Evil", "")],
    ids=["crlf-injection", "lf", "space-in-name", "colon-in-name", "empty-value"],
)
def test_header_injection_is_refused(deployment: Deployment, listener: Listener, name: str, value: str) -> None:
    headers = {**signed(listener), name: value}
    assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")


def test_signed_header_outside_the_allow_list_is_refused(deployment: Deployment, listener: Listener) -> None:
    form = form_for(REGION, signed(listener, extra={"X-Forwarded-For": "10.0.0.1"}))
    assert_refused_locally(deployment, listener, form, "invalid_request")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda auth: auth.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
        lambda auth: auth.replace("/sts/", "/iam/"),
        lambda auth: auth.replace("/us-east-1/", "/eu-west-1/"),
        lambda auth: auth.replace("aws4_request", "aws4_other"),
        lambda auth: auth.replace("host;", ""),
        lambda auth: auth.replace(";x-amz-date", ""),
        lambda auth: auth.replace(";x-oauth2-server-id", ""),
        lambda auth: auth.replace("SignedHeaders=", "SignedHeaders=authorization;"),
        lambda auth: auth + ", Signature=" + "0" * 64,
        lambda auth: auth.rpartition(", Signature=")[0],
        lambda auth: auth.upper(),
        lambda auth: auth.replace("content-type;host", "host;content-type"),
    ],
    ids=[
        "algorithm",
        "service",
        "scope-region",
        "terminator",
        "host-unsigned",
        "date-unsigned",
        "server-id-unsigned",
        "authorization-signed",
        "two-signatures",
        "no-signature",
        "upper-case",
        "unsorted-signed-headers",
    ],
)
def test_authorization_header_that_does_not_fit_is_refused(
    deployment: Deployment, listener: Listener, mutate: Callable[[str], str]
) -> None:
    headers = signed(listener)
    headers["Authorization"] = mutate(headers["Authorization"])
    assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")


def test_scope_date_that_does_not_match_x_amz_date_is_refused(deployment: Deployment, listener: Listener) -> None:
    headers = signed(listener)
    date = headers["X-Amz-Date"][:8]
    headers["Authorization"] = headers["Authorization"].replace(f"/{date}/", "/20000101/")
    assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")


@pytest.mark.parametrize("name", ["Authorization", "X-Amz-Date"])
def test_missing_sigv4_header_is_refused(deployment: Deployment, listener: Listener, name: str) -> None:
    headers = signed(listener)
    del headers[name]
    assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")


def test_body_hash_that_does_not_match_is_refused(deployment: Deployment, listener: Listener) -> None:
    form = form_for(REGION, signed(listener, extra={"X-Amz-Content-Sha256": "0" * 64}))
    assert_refused_locally(deployment, listener, form, "invalid_request")


def test_other_content_type_is_refused(deployment: Deployment, listener: Listener) -> None:
    headers = signed(listener)
    headers["Content-Type"] = "application/json"
    assert_refused_locally(deployment, listener, form_for(REGION, headers), "invalid_request")


def test_awsv4sign_request_with_a_hostile_region_is_refused(deployment: Deployment, listener: Listener) -> None:
    """The seed pasted the region into the URL; awsv4sign happily signs for any region string."""
    headers = sign_awsv4(fake_credentials(), listener.host, region="us-east-1.evil.example")
    assert_refused_locally(deployment, listener, form_for("us-east-1.evil.example", headers), "invalid_request")
