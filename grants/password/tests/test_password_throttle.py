"""Password-guessing defence: counters per username and per client address, lockouts, same answers for all."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime

import pytest

from oauth2_core import Client, ConfigurationError, Server, TokenResponse, hookimpl
from oauth2_core.events import SecurityEvent
from oauth2_grant_password import PasswordGrant, PasswordOptions
from oauth2_grant_password.throttle import address_subject, username_subject
from oauth2_testing.client import TokenClient, header
from oauth2_testing.clock import FakeClock
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.servers import MemoryServerFactory

PASSWORD = "correct horse " + secrets.token_urlsafe(8)
LIMITS = {"max_failures_per_username": 3, "max_failures_per_ip": 10, "failure_window": 600, "lockout_seconds": 300}


class CountingHost(MemoryHost):
    """The memory host, counting password checks and counter-hook calls, and recording security events."""

    def __init__(self) -> None:
        super().__init__()
        self.checks: list[str] = []
        self.counter_calls = 0
        self.events: list[SecurityEvent] = []

    @hookimpl(optionalhook=True)
    def oauth2_password_authenticate(self, username: str, password: str, client: Client) -> str | None:
        self.checks.append(username)
        return super().oauth2_password_authenticate(username=username, password=password, client=client)

    @hookimpl(optionalhook=True)
    def oauth2_password_locked_until(self, keys: Sequence[str]) -> datetime | None:
        self.counter_calls += 1
        return super().oauth2_password_locked_until(keys=keys)

    @hookimpl(optionalhook=True)
    def oauth2_password_count_failure(self, key: str, ttl: int) -> int:
        self.counter_calls += 1
        return super().oauth2_password_count_failure(key=key, ttl=ttl)

    @hookimpl
    def oauth2_security_event(self, event: SecurityEvent) -> None:
        self.events.append(event)


@pytest.fixture
def oauth2_memory_host() -> CountingHost:
    host = CountingHost()
    host.add_user("alice", PASSWORD)
    host.add_user("bob", PASSWORD)
    return host


@pytest.fixture
def secret(oauth2_memory_host: CountingHost) -> str:
    value = oauth2_memory_host.add_client("app")
    assert value is not None
    return value


@pytest.fixture
def oauth2_server(oauth2_server_factory: MemoryServerFactory) -> Server:
    return oauth2_server_factory(["password"], grant_options={"password": LIMITS})


def attempt(
    server: Server, secret: str, username: str = "alice", password: str = PASSWORD, ip: str = "192.0.2.1"
) -> TokenResponse:
    form = {"grant_type": "password", "username": username, "password": password}
    return TokenClient(server, client_ip=ip).post(form, basic=("app", secret))


def fail(server: Server, secret: str, times: int, **kwargs: str) -> list[TokenResponse]:
    return [attempt(server, secret, password="wrong", **kwargs) for _ in range(times)]


def assert_throttled(response: TokenResponse, retry_after: int) -> None:
    assert response.status == 429, response.json()
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "too many failed attempts; wait before trying again",
    }
    assert header(response, "Retry-After") == str(retry_after)
    assert header(response, "Content-Type") == "application/json"
    assert header(response, "Cache-Control") == "no-store"


# -- lockout ---------------------------------------------------------------------------


def test_limit_then_429_with_retry_after_for_the_cooldown(oauth2_server: Server, secret: str) -> None:
    answers = fail(oauth2_server, secret, 3)
    assert [response.status for response in answers] == [400, 400, 400]
    assert_throttled(attempt(oauth2_server, secret, password="wrong"), 300)


def test_correct_password_does_not_end_the_lockout(
    oauth2_server: Server, secret: str, oauth2_clock: FakeClock, oauth2_memory_store: MemoryTokenStore
) -> None:
    fail(oauth2_server, secret, 3)
    assert_throttled(attempt(oauth2_server, secret), 300)
    oauth2_clock.advance(120)
    assert_throttled(attempt(oauth2_server, secret), 180)
    oauth2_clock.advance(179.5)
    assert_throttled(attempt(oauth2_server, secret), 1)
    assert oauth2_memory_store.access == {}, "no token may be issued during a lockout"
    oauth2_clock.advance(0.5)
    assert attempt(oauth2_server, secret).status == 200


def test_the_password_is_still_checked_while_locked_out(
    oauth2_server: Server, secret: str, oauth2_memory_host: CountingHost
) -> None:
    fail(oauth2_server, secret, 3)
    oauth2_memory_host.checks.clear()
    attempt(oauth2_server, secret)
    attempt(oauth2_server, secret, username="nobody")
    assert oauth2_memory_host.checks == ["alice", "nobody"]


def test_unknown_and_known_usernames_get_the_same_answers(oauth2_server: Server, secret: str) -> None:
    known = [attempt(oauth2_server, secret, username="alice", password="wrong", ip="192.0.2.1") for _ in range(5)]
    unknown = [attempt(oauth2_server, secret, username="mallory", password="wrong", ip="192.0.2.2") for _ in range(5)]
    assert [(r.status, r.headers, r.body) for r in known] == [(r.status, r.headers, r.body) for r in unknown]
    assert [r.status for r in known] == [400, 400, 400, 429, 429]


def test_failures_outside_the_window_do_not_add_up(oauth2_server: Server, secret: str, oauth2_clock: FakeClock) -> None:
    for _ in range(4):
        fail(oauth2_server, secret, 2)
        oauth2_clock.advance(600)
    assert attempt(oauth2_server, secret).status == 200


def test_after_the_lockout_one_more_failure_in_the_same_window_locks_again(
    oauth2_server_factory: MemoryServerFactory, secret: str, oauth2_clock: FakeClock
) -> None:
    server = oauth2_server_factory(["password"], grant_options={"password": {**LIMITS, "failure_window": 3600}})
    oauth2_clock.advance(3600 - oauth2_clock().timestamp() % 3600)  # the start of a window
    fail(server, secret, 3)
    oauth2_clock.advance(300)
    assert attempt(server, secret, password="wrong").status == 400
    assert_throttled(attempt(server, secret), 300)


def test_username_variants_share_one_counter(oauth2_server: Server, secret: str) -> None:
    for name in ("alice", "ALICE", "Alice"):
        fail(oauth2_server, secret, 1, username=name)
    assert_throttled(attempt(oauth2_server, secret, username="alice"), 300)


def test_username_lockout_holds_from_any_address(oauth2_server: Server, secret: str) -> None:
    fail(oauth2_server, secret, 3, ip="192.0.2.1")
    assert_throttled(attempt(oauth2_server, secret, ip="198.51.100.7"), 300)
    assert attempt(oauth2_server, secret, username="bob", ip="198.51.100.7").status == 200


def test_address_lockout_covers_every_username_from_it(oauth2_server: Server, secret: str) -> None:
    for index in range(10):
        attempt(oauth2_server, secret, username=f"user{index}", password="wrong", ip="203.0.113.9")
    assert_throttled(attempt(oauth2_server, secret, username="bob", ip="203.0.113.9"), 300)
    assert attempt(oauth2_server, secret, username="bob", ip="203.0.113.10").status == 200


def test_one_ipv6_network_counts_as_one_address(oauth2_server: Server, secret: str) -> None:
    for index in range(10):
        attempt(oauth2_server, secret, username=f"user{index}", password="wrong", ip=f"2001:db8:1:2::{index + 1:x}")
    assert_throttled(attempt(oauth2_server, secret, username="bob", ip="2001:db8:1:2:ffff::1"), 300)
    assert attempt(oauth2_server, secret, username="bob", ip="2001:db8:1:3::1").status == 200


def test_client_without_an_address_is_counted_by_username_only(oauth2_server: Server, secret: str) -> None:
    client = TokenClient(oauth2_server, client_ip=None)
    form = {"grant_type": "password", "username": "alice", "password": "wrong"}
    for _ in range(3):
        client.post(form, basic=("app", secret))
    assert client.post({**form, "password": PASSWORD}, basic=("app", secret)).status == 429


def test_limits_of_zero_turn_the_defence_off(
    oauth2_server_factory: MemoryServerFactory, secret: str, oauth2_memory_host: CountingHost
) -> None:
    off = {"max_failures_per_username": 0, "max_failures_per_ip": 0}
    server = oauth2_server_factory(["password"], grant_options={"password": off})
    fail(server, secret, 20)
    assert attempt(server, secret).status == 200
    assert oauth2_memory_host.counter_calls == 0


def test_successes_are_not_counted(oauth2_server: Server, secret: str, oauth2_memory_host: CountingHost) -> None:
    for _ in range(20):
        assert attempt(oauth2_server, secret).status == 200
    assert oauth2_memory_host.counters == {}


def test_defaults_apply_without_options(oauth2_server_factory: MemoryServerFactory, secret: str) -> None:
    server = oauth2_server_factory(["password"])
    fail(server, secret, 10)
    assert_throttled(attempt(server, secret), 900)


# -- events ----------------------------------------------------------------------------------


def test_lockouts_are_throttled_security_events_without_secrets(
    oauth2_server: Server, secret: str, oauth2_memory_host: CountingHost, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="oauth2.security")
    fail(oauth2_server, secret, 3)
    attempt(oauth2_server, secret)
    throttled = [event for event in oauth2_memory_host.events if event.kind == "throttled"]
    assert [event.reason for event in throttled] == [
        "lockout started: 3 failed attempts for one username within 600 seconds; locked for 300 seconds",
        "locked out for 300 more seconds",
    ]
    assert all(event.client_id == "app" and event.client_ip == "192.0.2.1" for event in throttled)
    assert all(event.grant_type == "password" and event.user_id is None for event in throttled)
    records = [record for record in caplog.records if record.name == "oauth2.security"]
    assert [record.oauth2_event["kind"] for record in records if record.levelno == logging.WARNING].count(  # type: ignore[attr-defined]
        "throttled"
    ) == 2
    everything = caplog.text + repr([record.__dict__ for record in records]) + repr(oauth2_memory_host.events)
    for secret_value in (PASSWORD, secret, "wrong"):
        assert secret_value not in everything
    assert "alice" not in everything, "the username stays out of events: people type passwords into it"


# -- options and wiring ---------------------------------------------------------------------------


def test_options_have_typed_defaults() -> None:
    assert PasswordOptions() == PasswordOptions.from_mapping({})
    options = PasswordOptions()
    assert (options.max_failures_per_username, options.max_failures_per_ip) == (10, 100)
    assert (options.failure_window, options.lockout_seconds) == (900, 900)
    assert PasswordGrant().options == options


def test_unknown_option_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown option 'lockout_second'; did you mean 'lockout_seconds'\?"):
        PasswordOptions.from_mapping({"lockout_second": 60})


@pytest.mark.parametrize(
    "options",
    [
        {"max_failures_per_username": -1},
        {"max_failures_per_ip": "10"},
        {"max_failures_per_username": True},
        {"failure_window": 0},
        {"lockout_seconds": 8 * 24 * 3600},
        {"lockout_seconds": 1.5},
    ],
)
def test_bad_values_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError, match=r"grant_options\['password'\]"):
        PasswordOptions.from_mapping(options)


def test_the_server_refuses_to_start_with_an_unknown_option(oauth2_server_factory: MemoryServerFactory) -> None:
    with pytest.raises(ConfigurationError, match="max_failures_per_usename"):
        oauth2_server_factory(["password"], grant_options={"password": {"max_failures_per_usename": 3}})


# -- counter subjects -----------------------------------------------------------------------------


def test_username_subject_is_a_digest_shared_by_case_and_unicode_variants() -> None:
    assert username_subject("alice") == username_subject("ALICE") == username_subject("\uff41lice")
    assert username_subject("alice") != username_subject("alicia")
    assert "alice" not in username_subject("alice")
    assert len("oauth2:password:fail:" + username_subject("x" * 256) + ":99999999") <= 120


@pytest.mark.parametrize(
    ("address", "subject"),
    [
        ("192.0.2.1", "ip:192.0.2.1"),
        ("::ffff:192.0.2.1", "ip:192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"),
        ("fe80::1%eth0", "ip:fe80::/64"),
        ("not an address", None),
        ("", None),
    ],
)
def test_address_subject(address: str, subject: str | None) -> None:
    assert address_subject(address) == subject
