"""Hypothesis-generated junk against the served example over HTTP.

The strategies come from oauth2-testing and follow what each enabled grant
declares, so these requests look like the real thing broken in many small
ways. Whatever arrives, the answer is JSON and never a 5xx. A few hundred
examples in all: each one is a real request through gunicorn and Django.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests
from e2e_support import Accounts, ExampleServer, assert_token_answer, json_body
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oauth2_core import Grant
from oauth2_testing.client import basic_authorization
from oauth2_testing.servers import MemoryServerFactory
from oauth2_testing.strategies import hostile_forms, raw_bodies, valid_forms

ENABLED_GRANTS = ("password", "refresh_token")
# Each example is a real HTTP round trip, so a fixed, modest count: the
# "heavy" hypothesis profile of oauth2-testing does not apply here.
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Header values an HTTP client may send (RFC 9110 5.5): visible ASCII, spaces
# and obs-text bytes, which requests sends as Latin-1. Control characters are
# left out: gunicorn rejects them at the HTTP layer, before the application
# is called, so they would test gunicorn, not this project.
_header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80
).map(str.strip)
_content_types = (
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-8",
            "application/x-www-form-urlencoded;charset=UTF-8",
            "Application/X-WWW-Form-Urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "application/json",
            "multipart/form-data; boundary=zz",
            "text/plain",
        ]
    )
    | _header_text
)


@pytest.fixture(scope="module")
def grants() -> dict[str, Grant]:
    """The enabled grants as their plugins declare them, loaded through their entry points."""
    server = MemoryServerFactory()(list(ENABLED_GRANTS))
    return {name: server.registry[name].grant for name in ENABLED_GRANTS}


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _credentials(accounts: Accounts) -> st.SearchStrategy[dict[str, str]]:
    """How a fuzzed request authenticates: validly, wrongly, or not at all."""
    client = accounts.confidential
    assert client.secret is not None
    junk_basic = st.binary(max_size=40).map(lambda raw: {"Authorization": "Basic " + base64.b64encode(raw).decode()})
    return st.one_of(
        st.just({}),
        st.just({"Authorization": basic_authorization(client.client_id, client.secret)}),
        st.just({"Authorization": basic_authorization(client.client_id, "o2cs_wrong")}),
        st.just({"Authorization": basic_authorization("no-such-client", "x")}),
        junk_basic,
        _header_text.map(lambda value: {"Authorization": value}),
    )


def _check(response: requests.Response) -> None:
    body = json_body(response)
    if response.status_code == 200:
        assert_token_answer(response)
    else:
        assert isinstance(body.get("error"), str), body


def test_fuzz_hostile_forms(
    server: ExampleServer, accounts: Accounts, grants: dict[str, Grant], http: requests.Session
) -> None:
    forms = st.one_of(*(hostile_forms(grant) | valid_forms(grant) for grant in grants.values()))

    @FUZZ
    @given(form=forms, headers=_credentials(accounts))
    def run(form: dict[str, str], headers: dict[str, str]) -> None:
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        _check(http.post(server.token_url, data=urlencode(form), headers=headers, timeout=30))

    run()


def test_fuzz_raw_bodies(
    server: ExampleServer, accounts: Accounts, grants: dict[str, Grant], http: requests.Session
) -> None:
    bodies = st.one_of(*(raw_bodies(grant) for grant in grants.values())) | st.binary(max_size=512)

    @FUZZ
    @given(body=bodies, content_type=_content_types, headers=_credentials(accounts))
    def run(body: bytes, content_type: str, headers: dict[str, str]) -> None:
        headers = {**headers, "Content-Type": content_type}
        _check(http.post(server.token_url, data=body, headers=headers, timeout=30))

    run()


def test_fuzz_methods_and_headers(server: ExampleServer, http: requests.Session) -> None:
    @FUZZ
    @given(
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
        headers=st.dictionaries(
            st.sampled_from(["Authorization", "Content-Type", "Accept", "Accept-Charset", "X-Forwarded-For", "Cookie"]),
            _header_text,
            max_size=4,
        ),
        body=st.binary(max_size=256),
    )
    def run(method: str, headers: dict[str, str], body: bytes) -> None:
        _check(http.request(method, server.token_url, headers=headers, data=body, timeout=30, allow_redirects=False))

    run()


def test_fuzz_bearer_headers_on_the_api(server: ExampleServer, http: requests.Session) -> None:
    @FUZZ
    @given(authorization=_header_text | _header_text.map("Bearer {}".format))
    def run(authorization: str) -> None:
        response = http.get(server.me_url, headers={"Authorization": authorization}, timeout=30)
        body = json_body(response)
        assert response.status_code in (400, 401), body
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    run()
