"""Fuzzing the core's form parser and the whole endpoint with the kit's raw-body strategy."""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from hypothesis import given

from oauth2_core import OAuth2Error, Server, ServerConfig, build_server
from oauth2_core.form import parse_form
from oauth2_testing.client import TokenClient, header
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.profiles import FUZZ_MIN_EXAMPLES, fuzz_examples, fuzz_settings
from oauth2_testing.strategies import raw_bodies

LIMIT = ServerConfig().max_body_bytes


def test_fuzz_budget_is_at_least_the_minimum() -> None:
    assert fuzz_examples() >= FUZZ_MIN_EXAMPLES == 2_000


@pytest.mark.fuzz
def test_fuzz_parse_form_raises_only_oauth2_error(ticket_grant_module: ModuleType) -> None:
    examples = 0

    @fuzz_settings()
    @given(raw_bodies(ticket_grant_module.TicketGrant(), max_bytes=LIMIT))
    def parse(body: bytes) -> None:
        nonlocal examples
        examples += 1
        try:
            form = parse_form(body, LIMIT)
        except OAuth2Error as error:
            assert error.error == "invalid_request"
            return
        assert len(body) <= LIMIT
        assert all(isinstance(key, str) and isinstance(value, str) and value for key, value in form.items())

    parse()
    assert examples >= fuzz_examples()


@pytest.fixture
def ticket_server(ticket_grant_module: ModuleType) -> Server:
    """The ticket grant registered directly (no entry point), with one confidential client."""
    host = MemoryHost()
    host.add_client("fuzzer", grant_types=(ticket_grant_module.GRANT_TYPE,))
    return build_server(ServerConfig(grants=()), [host, MemoryTokenStore(), ticket_grant_module])


@pytest.mark.fuzz
def test_fuzz_endpoint_always_answers_json(ticket_server: Server, ticket_grant_module: ModuleType) -> None:
    client = TokenClient(ticket_server)

    # A full request per example costs more than parsing; 500 cover the same strategy paths.
    @fuzz_settings(minimum=500)
    @given(raw_bodies(ticket_grant_module.TicketGrant(), max_bytes=LIMIT))
    def post(body: bytes) -> None:
        response = client.post(body=body)
        payload = json.loads(response.body)
        assert header(response, "Cache-Control") == "no-store"
        assert header(response, "Content-Type") == "application/json"
        if response.status != 200:
            assert response.status in (400, 401, 413)
            assert payload["error"] in {"invalid_request", "invalid_client", "unsupported_grant_type", "invalid_scope"}

    post()
