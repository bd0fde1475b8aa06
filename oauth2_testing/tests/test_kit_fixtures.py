"""The pytest fixtures, the token client, the clock, the factories and the hypothesis profiles."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import settings

from oauth2_core import ConfigurationError, Server
from oauth2_core.tokens import digest
from oauth2_testing import pytest_plugin
from oauth2_testing.client import TokenClient, basic_authorization, header
from oauth2_testing.clock import EPOCH, FakeClock
from oauth2_testing.factories import issue_tokens
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.profiles import HEAVY_EXAMPLES, fuzz_examples
from oauth2_testing.servers import MemoryServerFactory

PLUGIN_FIXTURES = (
    "oauth2_clock",
    "oauth2_memory_host",
    "oauth2_memory_store",
    "oauth2_server_factory",
    "oauth2_server",
    "oauth2_token_client",
)


def test_plugin_fixtures_are_not_autouse(request: pytest.FixtureRequest) -> None:
    assert not set(PLUGIN_FIXTURES) & set(request.fixturenames)


def test_plugin_fixtures_are_registered(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("oauth2_testing")
    assert plugin is not None, "the pytest11 entry point 'oauth2_testing' is not loaded"
    assert all(hasattr(plugin, name) for name in PLUGIN_FIXTURES)


@pytest.fixture
def ticket(
    ticket_grant_module: ModuleType, oauth2_server_factory: MemoryServerFactory, oauth2_memory_host: MemoryHost
) -> tuple[Server, str]:
    """A server with only the ticket grant, and the secret of its confidential client ``app``."""
    secret = oauth2_memory_host.add_client("app", grant_types=(ticket_grant_module.GRANT_TYPE,))
    assert secret is not None
    return oauth2_server_factory(["ticket"]), secret


def form(module: ModuleType, value: str = "valid-1") -> dict[str, str]:
    return {"grant_type": module.GRANT_TYPE, "ticket": value}


def test_server_factory_enables_only_the_named_grants(
    ticket: tuple[Server, str], ticket_grant_module: ModuleType
) -> None:
    server, _ = ticket
    assert list(server.registry) == [ticket_grant_module.GRANT_TYPE]


def test_server_factory_passes_settings_and_refuses_unknown_ones(oauth2_server_factory: MemoryServerFactory) -> None:
    assert oauth2_server_factory([], access_token_lifetime=60).config.access_token_lifetime == 60
    with pytest.raises(ConfigurationError, match="did you mean 'access_token_lifetime'"):
        oauth2_server_factory([], access_token_lifetim=60)


def test_token_client_authenticates_by_basic_and_by_body(
    ticket: tuple[Server, str], ticket_grant_module: ModuleType, oauth2_memory_store: MemoryTokenStore
) -> None:
    server, secret = ticket
    client = TokenClient(server)
    by_basic = client.post(form(ticket_grant_module), basic=("app", secret))
    by_body = client.post(form(ticket_grant_module), client_id="app", client_secret=secret)
    assert (by_basic.status, by_body.status) == (200, 200)
    for response in (by_basic, by_body):
        assert digest(str(response.json()["access_token"])) in oauth2_memory_store.access
    both = client.post(form(ticket_grant_module), basic=("app", secret), client_id="app", client_secret=secret)
    assert (both.status, both.json()["error"]) == (400, "invalid_request")


def test_token_client_sends_raw_requests(ticket: tuple[Server, str], ticket_grant_module: ModuleType) -> None:
    server, secret = ticket
    client = TokenClient(server)
    assert client.post(form(ticket_grant_module), basic=("app", secret), method="GET").status == 405
    wrong_type = client.post(form(ticket_grant_module), basic=("app", secret), content_type="application/json")
    assert wrong_type.json()["error"] == "invalid_request"
    raw = client.post(body=b"grant_type=x&grant_type=y", basic=("app", secret))
    assert raw.json() == {"error": "invalid_request", "error_description": "a parameter was sent more than once"}
    bad_header = client.post(form(ticket_grant_module), authorization="Bearer abc")
    assert (bad_header.status, header(bad_header, "www-authenticate")) == (401, 'Basic realm="oauth2"')


def test_basic_credentials_are_form_encoded_first(
    ticket_grant_module: ModuleType, oauth2_server_factory: MemoryServerFactory, oauth2_memory_host: MemoryHost
) -> None:
    value = basic_authorization("a:b c", "s%cret")
    assert base64.b64decode(value.removeprefix("Basic ")) == b"a%3Ab%20c:s%25cret"
    secret = oauth2_memory_host.add_client("odd:id é", grant_types=(ticket_grant_module.GRANT_TYPE,))
    assert secret is not None
    server = oauth2_server_factory(["ticket"])
    assert TokenClient(server).post(form(ticket_grant_module), basic=("odd:id é", secret)).status == 200


def test_header_lookup_ignores_case(ticket: tuple[Server, str], ticket_grant_module: ModuleType) -> None:
    server, secret = ticket
    response = TokenClient(server).post(form(ticket_grant_module), basic=("app", secret))
    assert header(response, "cache-control") == header(response, "CACHE-CONTROL") == "no-store"
    assert header(response, "X-Missing") is None


def test_fake_clock_moves_only_forward() -> None:
    clock = FakeClock()
    assert clock() == EPOCH
    assert clock.advance(90) == clock() == EPOCH.replace(minute=1, second=30)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(EPOCH.replace(tzinfo=None))


def test_server_uses_the_fake_clock(
    ticket: tuple[Server, str], ticket_grant_module: ModuleType, oauth2_clock: FakeClock
) -> None:
    server, secret = ticket
    oauth2_clock.advance(3600)
    response = TokenClient(server).post(form(ticket_grant_module), basic=("app", secret))
    record = server.hooks.find_access_token(digest(str(response.json()["access_token"])))
    assert record is not None
    assert record.expires_at == oauth2_clock() + (record.expires_at - oauth2_clock())
    assert record.expires_at.timestamp() == oauth2_clock().timestamp() + server.config.access_token_lifetime


def test_issue_tokens_mints_and_stores(ticket: tuple[Server, str], oauth2_memory_store: MemoryTokenStore) -> None:
    server, _ = ticket
    tokens = issue_tokens(server, "app", user_id="7", scope=("read",))
    assert tokens.refresh_token is not None and tokens.refresh is not None
    assert oauth2_memory_store.access[digest(tokens.access_token)].user_id == "7"
    assert oauth2_memory_store.refresh[digest(tokens.refresh_token)].family_id == tokens.access.family_id
    with pytest.raises(ConfigurationError, match="no client 'ghost'"):
        issue_tokens(server, "ghost")


class TestOverridingTheServerFixture:
    """A grant author narrows ``oauth2_server`` to their grant; ``oauth2_token_client`` follows."""

    @pytest.fixture
    def oauth2_server(self, ticket: tuple[Server, str]) -> Server:
        return ticket[0]

    def test_token_client_posts_to_the_overridden_server(
        self, oauth2_token_client: TokenClient, ticket: tuple[Server, str], ticket_grant_module: ModuleType
    ) -> None:
        assert oauth2_token_client.server is ticket[0]
        response = oauth2_token_client.post(form(ticket_grant_module, "forged"), basic=("app", ticket[1]))
        assert (response.status, response.json()["error"]) == (400, "invalid_grant")


@pytest.fixture
def restore_profile() -> Iterator[None]:
    """Put the session's hypothesis profile back after a test loads another one."""
    name = settings.get_current_profile_name()
    yield
    settings.load_profile(name)


@pytest.mark.usefixtures("restore_profile")
def test_heavy_profile_from_the_environment(monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config) -> None:
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "heavy")
    pytest_plugin.pytest_configure(pytestconfig)
    assert settings.default.max_examples == fuzz_examples() == HEAVY_EXAMPLES


@pytest.mark.usefixtures("restore_profile")
def test_unknown_profile_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config) -> None:
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "hevy")
    with pytest.raises(pytest.UsageError, match="HYPOTHESIS_PROFILE='hevy' names no registered hypothesis profile"):
        pytest_plugin.pytest_configure(pytestconfig)


PROFILE_PROBE = """
from hypothesis import settings
from oauth2_testing.profiles import fuzz_examples

def test_probe():
    print(f"PROBE max_examples={settings.default.max_examples} fuzz={fuzz_examples()}")
"""


def test_heavy_profile_from_the_command_line(tmp_path: Path) -> None:
    """``--hypothesis-profile=heavy`` works: the kit registers the profile before hypothesis's plugin loads it."""
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(PROFILE_PROBE))
    environment = {key: value for key, value in os.environ.items() if key != "HYPOTHESIS_PROFILE"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", "--hypothesis-profile=heavy"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert f"PROBE max_examples={HEAVY_EXAMPLES} fuzz={HEAVY_EXAMPLES}" in result.stdout, result.stdout + result.stderr
