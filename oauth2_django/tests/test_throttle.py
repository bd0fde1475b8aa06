"""Password guessing through the Django token view: counters in Django's cache (locmem and the real Redis).

Each test gets caches of its own: a fresh local-memory cache, or a key
prefix of its own on the Redis server at 127.0.0.1:6379 (skipped with a
message when Redis is unreachable, failed when ``CI`` is set).
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import connections
from django.test import override_settings

from oauth2_django import checks, throttle
from oauth2_django.models import AccessToken

from .conftest import PASSWORD, Registered, post_token, server_setting

pytestmark = pytest.mark.django_db

REDIS_ADDRESS = ("127.0.0.1", 6379)
LIMITS = {"max_failures_per_username": 3, "max_failures_per_ip": 8, "failure_window": 600, "lockout_seconds": 300}


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS_ADDRESS, timeout=1):
            return True
    except OSError:
        return False


def _cache_setting(kind: str, prefix: str) -> dict[str, Any]:
    if kind == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}
    if not _redis_reachable():
        message = f"Redis is not reachable at {REDIS_ADDRESS[0]}:{REDIS_ADDRESS[1]}; start it to run the Redis variant"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    host, port = REDIS_ADDRESS
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://{host}:{port}/0",
        "KEY_PREFIX": prefix,
    }


@pytest.fixture(params=["locmem", "redis"])
def throttle_cache(request: pytest.FixtureRequest) -> Iterator[str]:
    """A cache alias ``throttle`` for this test alone, and the password limits of LIMITS."""
    prefix = f"oauth2-hardening-{uuid.uuid4().hex}"
    caches_setting = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix + "-default"},
        "throttle": _cache_setting(request.param, prefix),
    }
    oauth2 = server_setting(THROTTLE_CACHE="throttle", GRANT_OPTIONS={"password": LIMITS})
    with override_settings(CACHES=caches_setting, OAUTH2_SERVER=oauth2):
        try:
            yield request.param
        finally:
            if request.param == "redis":
                # Only this test's keys: the server may be shared, so never FLUSHDB (which cache.clear() does).
                client = caches["throttle"]._cache.get_client(write=True)  # type: ignore[attr-defined]
                for key in client.scan_iter(match=f"{prefix}:*"):
                    client.delete(key)


def _form(registered: Registered, username: str = "alice", password: str = PASSWORD) -> dict[str, str]:
    return {
        "grant_type": "password",
        "username": username,
        "password": password,
        "client_id": registered.client_id,
        "client_secret": registered.secret or "",
    }


def _post(client: Any, registered: Registered, ip: str = "192.0.2.1", **form: str) -> Any:
    return post_token(client, _form(registered, **form), REMOTE_ADDR=ip)


def _assert_locked(response: Any, retry_after: int | None = None) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "too many failed attempts; wait before trying again",
    }
    if retry_after is not None:
        assert response["Retry-After"] == str(retry_after)
    assert 1 <= int(response["Retry-After"]) <= LIMITS["lockout_seconds"]


# -- the lockout -------------------------------------------------------------------------------


def test_lockout_answers_429_and_a_correct_password_does_not_end_it(
    throttle_cache: str, client: Any, registered: Registered, user: User
) -> None:
    for _ in range(3):
        assert _post(client, registered, password="wrong").status_code == 400
    _assert_locked(_post(client, registered, password="wrong"), 300)
    _assert_locked(_post(client, registered))
    _assert_locked(_post(client, registered, ip="198.51.100.7"))
    assert not AccessToken.objects.exists()
    assert _post(client, registered, username="bob-unknown", ip="198.51.100.7", password="x").status_code == 400


def test_lockout_ends_after_the_cooldown(throttle_cache: str, client: Any, registered: Registered, user: User) -> None:
    short = {**LIMITS, "lockout_seconds": 1}
    with override_settings(OAUTH2_SERVER=server_setting(THROTTLE_CACHE="throttle", GRANT_OPTIONS={"password": short})):
        for _ in range(3):
            _post(client, registered, password="wrong")
        locked = _post(client, registered)
        assert locked.status_code == 429
        assert locked["Retry-After"] == "1"
        time.sleep(1.1)
        assert _post(client, registered).status_code == 200


def test_unknown_and_known_usernames_get_the_same_answers(
    throttle_cache: str, client: Any, registered: Registered, user: User
) -> None:
    def answers(username: str, ip: str) -> list[tuple[int, bytes, str | None]]:
        responses = [_post(client, registered, ip=ip, username=username, password="wrong") for _ in range(5)]
        return [(r.status_code, r.content, r.headers.get("Retry-After")) for r in responses]

    known = answers("alice", "192.0.2.10")
    unknown = answers("nobody-by-that-name", "192.0.2.11")
    assert known == unknown
    assert [status for status, _, _ in known] == [400, 400, 400, 429, 429]


def test_address_lockout_uses_the_trusted_proxy_header_when_configured(
    throttle_cache: str, client: Any, registered: Registered, user: User
) -> None:
    proxied = server_setting(
        THROTTLE_CACHE="throttle", GRANT_OPTIONS={"password": LIMITS}, CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR"
    )
    with override_settings(OAUTH2_SERVER=proxied):
        for index in range(8):
            post_token(
                client,
                _form(registered, username=f"guess{index}", password="wrong"),
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=f"203.0.113.{index}, 192.0.2.66",
            )
        # Locked: the address the proxy wrote (last), not the spoofable first entry.
        _assert_locked(post_token(client, _form(registered), REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.66"))
        # Another client behind the same proxy is not.
        ok = post_token(client, _form(registered), REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.67")
        assert ok.status_code == 200, ok.content


def test_without_the_proxy_setting_a_forwarded_header_is_ignored(
    throttle_cache: str, client: Any, registered: Registered, user: User
) -> None:
    for index in range(8):
        post_token(
            client,
            _form(registered, username=f"guess{index}", password="wrong"),
            REMOTE_ADDR="192.0.2.99",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{index}",
        )
    _assert_locked(
        post_token(client, _form(registered), REMOTE_ADDR="192.0.2.99", HTTP_X_FORWARDED_FOR="203.0.113.200")
    )


def test_failure_counter_is_atomic_across_threads(throttle_cache: str) -> None:
    key = f"oauth2:password:fail:test:{uuid.uuid4().hex}"
    barrier = threading.Barrier(8)

    def hammer() -> None:
        barrier.wait()
        for _ in range(25):
            throttle.oauth2_password_count_failure(key=key, ttl=60)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert throttle.oauth2_password_count_failure(key=key, ttl=60) == 201


def test_concurrent_guesses_cannot_slip_past_the_limit(
    throttle_cache: str, registered: Registered, user: User, transactional_db: None
) -> None:
    from django.test import Client as HttpClient

    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def guess() -> None:
        barrier.wait()
        try:
            for _ in range(3):
                statuses.append(_post(HttpClient(), registered, password="wrong").status_code)
        finally:
            # Each thread opened its own database connection; leave none behind for teardown.
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every check that saw no lockout was counted, so at most limit + (threads - 1) got past.
    assert statuses.count(400) <= 3 + 5
    _assert_locked(_post(HttpClient(), registered))


# -- the hasher always runs ------------------------------------------------------------------------


class CountingHasher(PBKDF2PasswordHasher):
    """PBKDF2 that counts its runs; ``iterations`` is set per test."""

    runs: ClassVar[int] = 0

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        type(self).runs += 1
        return super().encode(password, salt, iterations)


HASHER = f"{__name__}.CountingHasher"


@pytest.fixture
def slow_hasher(django_user_model: type[User]) -> Iterator[User]:
    """alice with a password hashed by a PBKDF2 that costs a few milliseconds a run."""
    CountingHasher.iterations = 30_000
    with override_settings(PASSWORD_HASHERS=[HASHER]):
        yield django_user_model.objects.create_user("alice", "alice@example.com", PASSWORD)


def test_the_hasher_runs_once_per_attempt_locked_or_not_known_or_not(
    throttle_cache: str, client: Any, registered: Registered, slow_hasher: User
) -> None:
    def runs(**form: str) -> tuple[int, int]:
        before = CountingHasher.runs
        status = _post(client, registered, **form).status_code
        return status, CountingHasher.runs - before

    assert runs(password="wrong") == (400, 1)
    assert runs(username="nobody", password="wrong", ip="192.0.2.2") == (400, 1)
    for _ in range(2):
        runs(password="wrong")
    for _ in range(3):
        runs(username="nobody", password="wrong", ip="192.0.2.2")
    assert runs() == (429, 1)
    assert runs(username="nobody", ip="192.0.2.2") == (429, 1)


def test_timing_does_not_tell_unknown_users_or_lockouts_apart(
    throttle_cache: str, client: Any, registered: Registered, slow_hasher: User, django_user_model: type[User]
) -> None:
    if throttle_cache == "redis":
        pytest.skip("one cache is enough for a timing comparison; the counting test covers Redis")
    rounds = 20
    per_ip = {**LIMITS, "max_failures_per_ip": 10_000}
    with override_settings(PASSWORD_HASHERS=[HASHER]):
        for index in range(rounds):
            django_user_model.objects.create_user(f"known{index}", password=PASSWORD)
    with override_settings(
        PASSWORD_HASHERS=[HASHER],
        OAUTH2_SERVER=server_setting(THROTTLE_CACHE="throttle", GRANT_OPTIONS={"password": per_ip}),
    ):
        for _ in range(3):  # lock out a known and an unknown username (limit 3)
            _post(client, registered, password="wrong")
            _post(client, registered, username="nobody-locked", password="wrong")
        attempts = {
            "known, wrong password": lambda i: (f"known{i}", "wrong", 400),
            "unknown": lambda i: (f"nobody{i}", "wrong", 400),
            "known, locked out, right password": lambda i: ("alice", PASSWORD, 429),
            "unknown, locked out": lambda i: ("nobody-locked", PASSWORD, 429),
        }
        samples: dict[str, list[float]] = {label: [] for label in attempts}
        # Interleaved, so that load from elsewhere on the machine falls on every kind alike.
        for index in range(rounds):
            for label, attempt in attempts.items():
                username, password, status = attempt(index)
                started = time.perf_counter()
                assert _post(client, registered, username=username, password=password).status_code == status
                samples[label].append(time.perf_counter() - started)
    medians = {label: statistics.median(values) for label, values in samples.items()}
    # The hasher dominates (several ms a run); skipping it anywhere would halve that answer's time or less.
    assert min(medians.values()) > 0.7 * max(medians.values()), medians


# -- configuration and failure ---------------------------------------------------------------------


def test_unreachable_cache_is_503_and_issues_nothing(client: Any, registered: Registered, user: User) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    dead = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        },
    }
    with override_settings(CACHES=dead, OAUTH2_SERVER=server_setting(THROTTLE_CACHE="throttle")):
        response = _post(client, registered)
    assert response.status_code == 503, response.content
    assert response.json()["error"] == "temporarily_unavailable"
    assert response["Retry-After"].isdigit()
    assert not AccessToken.objects.exists()


def test_unknown_password_option_stops_the_server_with_a_check(db: None) -> None:
    bad = server_setting(GRANT_OPTIONS={"password": {"lockout_second": 60}})
    with override_settings(OAUTH2_SERVER=bad):
        messages = checks.check_plugins()
    assert [message.id for message in messages] == ["oauth2.E006"]
    assert "did you mean 'lockout_seconds'" in messages[0].msg


@pytest.mark.parametrize("value", ["X-Forwarded-For", "HTTP_x_forwarded_for", "", 42])
def test_client_ip_header_must_be_a_meta_key(value: object) -> None:
    with override_settings(OAUTH2_SERVER=server_setting(CLIENT_IP_HEADER=value)):
        messages = checks.check_settings()
    assert [message.id for message in messages] == ["oauth2.E003"]
    assert "CLIENT_IP_HEADER" in messages[0].msg


def test_throttle_cache_must_be_named(db: None) -> None:
    with override_settings(OAUTH2_SERVER=server_setting(THROTTLE_CACHE="")):
        messages = checks.check_settings()
    assert [message.id for message in messages] == ["oauth2.E003"]
