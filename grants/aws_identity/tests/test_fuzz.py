"""Fuzzing beyond the contract: targeted header mutations, and raw bodies through the whole endpoint."""

from __future__ import annotations

from contextlib import suppress

import pytest
from aws_strategies import headers_json, post_bodies, regions
from aws_support import Deployment, Listener, deploy
from hypothesis import given, settings
from hypothesis import strategies as st

from oauth2_core import OAuth2Error, TokenRequest, handle_token_request
from oauth2_grant_aws_identity import AwsIdentityGrant, AwsIdentityOptions
from oauth2_testing.profiles import fuzz_settings
from oauth2_testing.strategies import raw_bodies

pytestmark = pytest.mark.fuzz

ENDPOINT_EXAMPLES = 500
GRANT = AwsIdentityGrant.from_options(AwsIdentityOptions(server_id="https://auth.example.test"))


def test_parse_raises_only_oauth2_error_for_mutated_signed_headers() -> None:
    @fuzz_settings()
    @given(regions, post_bodies, headers_json())
    def only_oauth2_errors(region: str, post_body: str, headers: str) -> None:
        form = {"grant_type": "aws_identity", "region": region, "post_body": post_body, "headers_json": headers}
        with suppress(OAuth2Error):
            GRANT.parse_token_request(form)

    only_oauth2_errors()


@pytest.fixture
def deployment(listener: Listener) -> Deployment:
    built = deploy({"sts_endpoint": listener.url, "read_timeout": 1.0})
    built.aws.bind_subject("*", "workload")
    return built


def test_endpoint_answers_raw_bodies_with_json_errors_only(deployment: Deployment) -> None:
    # The parser itself gets the full fuzz budget above and in the contract; through the whole endpoint a
    # smaller default keeps the run short, and the heavy profile raises it like every other test.
    @settings(max_examples=max(ENDPOINT_EXAMPLES, settings.default.max_examples), deadline=None)
    @given(raw_bodies(GRANT) | st.binary(max_size=200))
    def never_a_crash(body: bytes) -> None:
        request = TokenRequest("POST", "application/x-www-form-urlencoded", None, body, "127.0.0.1")
        response = handle_token_request(deployment.server, request)
        assert response.status in (400, 401, 413, 503), response.status
        assert "error" in response.json()

    never_a_crash()
    assert not deployment.store.access
