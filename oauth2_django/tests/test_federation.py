"""Federated bindings: pattern precedence, validation, auto-provisioning, one-time values, the aws_identity flow.

The flow tests run the Django token view against a real SigV4 verifier
(moto in server mode on 127.0.0.1); they skip, saying why, when the
aws_identity grant or moto is not installed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import logging
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client as HttpClient
from django.test import override_settings

from oauth2_core.errors import TemporarilyUnavailable
from oauth2_django import federation, patterns, replay
from oauth2_django.federation import AmbiguousBinding
from oauth2_django.models import AccessToken, Client, FederatedBinding, FederatedIdentity, RefreshToken, Scope
from oauth2_django.patterns import Match

from .conftest import Registered, is_postgres, post_token, server_setting

try:
    from oauth2_grant_aws_identity import testing as sts

    from . import aws_requests
except ImportError:  # the grant, botocore, boto3 or moto is missing: the flow tests skip.
    sts = aws_requests = None  # type: ignore[assignment]

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/deployer"
USER_ALICE = f"arn:aws:iam::{ACCOUNT}:user/team/alice"


def _arn(resource: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{resource}"


# -- patterns (no database) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("a*c", "abc", True),
        ("a*c", "ac", True),
        ("a*c", "abcd", False),
        ("*", "", True),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "acb", False),
        ("ab*ba", "aba", False),  # head and tail may not overlap
        ("role/ci-*", "role/ci-/x", True),  # '*' crosses '/'
        ("a?c", "abc", False),  # '?' is literal
        ("a?c", "a?c", True),
        ("a[b]c", "abc", False),  # '[' is literal
        ("a[b]c", "a[b]c", True),
        ("ABC*", "abc", False),  # case-sensitive
    ],
)
def test_glob_matching(pattern: str, subject: str, expected: bool) -> None:
    assert patterns.glob_matches(pattern, subject) is expected


def test_glob_matching_agrees_with_fnmatch_on_star_only_patterns() -> None:
    generator = random.Random(1234)  # noqa: S311 - reproducible test data, not secrets
    for _ in range(3000):
        pattern = "".join(generator.choice("ab*") for _ in range(generator.randint(0, 7)))
        subject = "".join(generator.choice("ab") for _ in range(generator.randint(0, 9)))
        assert patterns.glob_matches(pattern, subject) is fnmatch.fnmatchcase(subject, pattern), (pattern, subject)


def test_glob_matching_never_backtracks_exponentially() -> None:
    pattern = "a" + "*a" * 30 + "*b"
    subject = "a" * 2000
    started = time.perf_counter()
    assert not patterns.glob_matches(pattern, subject)
    assert time.perf_counter() - started < 0.5


def _words(alphabet: str, longest: int) -> Iterator[str]:
    for length in range(longest + 1):
        for letters in itertools.product(alphabet, repeat=length):
            yield "".join(letters)


def test_overlap_agrees_with_brute_force() -> None:
    """can_overlap says yes exactly when some short word matches both patterns."""
    generator = random.Random(99)  # noqa: S311 - reproducible test data, not secrets
    words = list(_words("ab", 7))
    for _ in range(600):
        first, second = ("".join(generator.choice("ab*") for _ in range(generator.randint(1, 4))) for _ in range(2))
        kinds = (Match.GLOB if "*" in first else Match.EXACT, Match.GLOB if "*" in second else Match.EXACT)
        expected = any(
            patterns.matches(kinds[0], first, word) and patterns.matches(kinds[1], second, word) for word in words
        )
        assert patterns.can_overlap((kinds[0], first), (kinds[1], second)) is expected, (first, second)


def test_rank_puts_exact_first_then_more_literal_characters() -> None:
    exact = patterns.rank(Match.EXACT, "ab")
    longer_glob = patterns.rank(Match.GLOB, "abcdefgh*")
    shorter_glob = patterns.rank(Match.GLOB, "ab*")
    assert exact > longer_glob > shorter_glob
    assert patterns.rank(Match.GLOB, "a*b") == patterns.rank(Match.GLOB, "ab*")


# -- bindings and their resolution ------------------------------------------------------


@pytest.fixture
def aws_client(make_client: Callable[..., Registered]) -> Client:
    return make_client(public=True, grant_types=("aws_identity",), scope=("read", "write"), name="workload").client


@pytest.fixture
def bind(aws_client: Client, scopes: dict[str, Scope]) -> Callable[..., FederatedBinding]:
    """Save a binding straight through the ORM (no validation), like a data migration would."""

    def make(
        pattern: str,
        *,
        match: str = Match.EXACT,
        client: Client | None = None,
        user: User | None = None,
        auto_provision: bool = False,
        scope: tuple[str, ...] = ("read",),
        max_lifetime: int | None = None,
        enabled: bool = True,
        issuer: str = "aws",
    ) -> FederatedBinding:
        binding = FederatedBinding.objects.create(
            issuer=issuer,
            match=match,
            pattern=pattern,
            client=client or aws_client,
            user=user,
            auto_provision=auto_provision,
            max_lifetime=max_lifetime,
            enabled=enabled,
        )
        binding.scopes.set([scopes[name] for name in scope])
        return binding

    return make


def _resolved_binding(subject: str) -> int | None:
    resolution = federation.resolve("aws", subject)
    return None if resolution is None else resolution.binding_id


@pytest.mark.django_db
def test_exact_binding_beats_every_glob(bind: Callable[..., FederatedBinding]) -> None:
    bind(_arn("role/*"), match=Match.GLOB)
    bind(_arn("role/deploye*"), match=Match.GLOB)
    exact = bind(ROLE)
    assert _resolved_binding(ROLE) == exact.pk


@pytest.mark.django_db
def test_among_globs_the_most_literal_characters_win(bind: Callable[..., FederatedBinding]) -> None:
    broad = bind(_arn("*"), match=Match.GLOB)
    narrow = bind(_arn("role/dep*"), match=Match.GLOB)
    assert _resolved_binding(ROLE) == narrow.pk
    assert _resolved_binding(_arn("role/other")) == broad.pk
    assert _resolved_binding(USER_ALICE) == broad.pk


@pytest.mark.django_db
def test_no_match_other_issuer_or_other_account_is_unbound(bind: Callable[..., FederatedBinding]) -> None:
    bind(_arn("role/ci-*"), match=Match.GLOB)
    bind(ROLE, issuer="other")
    assert federation.resolve("aws", ROLE) is None
    assert federation.resolve("aws", "arn:aws:iam::999999999999:role/ci-x") is None
    assert federation.resolve("aws", _arn("role/ci-x")) is not None


@pytest.mark.django_db
def test_resolution_carries_client_scopes_and_lifetime(
    bind: Callable[..., FederatedBinding], aws_client: Client, user: User
) -> None:
    binding = bind(ROLE, user=user, scope=("read", "write"), max_lifetime=600)
    resolution = federation.resolve("aws", ROLE)
    assert resolution == federation.Resolution(
        binding_id=binding.pk,
        client_id=aws_client.client_id,
        user_id=str(user.pk),
        scopes=frozenset({"read", "write"}),
        max_lifetime=600,
    )
    unscoped = bind(_arn("role/plain"), scope=())
    plain = federation.resolve("aws", _arn("role/plain"))
    assert plain is not None and plain.binding_id == unscoped.pk
    assert (plain.user_id, plain.scopes, plain.max_lifetime) == (None, frozenset(), None)


@pytest.mark.django_db
def test_resolution_is_one_query(
    bind: Callable[..., FederatedBinding], user: User, django_assert_num_queries: Any
) -> None:
    bind(ROLE, user=user, scope=("read", "write"))
    bind(_arn("role/*"), match=Match.GLOB, scope=("read",))
    bind(_arn("user/*"), match=Match.GLOB)
    with django_assert_num_queries(1):
        assert federation.resolve("aws", ROLE) is not None


@pytest.mark.django_db
def test_disabled_best_match_refuses_and_never_falls_through(bind: Callable[..., FederatedBinding]) -> None:
    bind(_arn("role/*"), match=Match.GLOB)
    bind(ROLE, enabled=False)
    assert federation.resolve("aws", ROLE) is None
    # The glob still serves every other role.
    assert federation.resolve("aws", _arn("role/other")) is not None


@pytest.mark.django_db
def test_disabled_broader_binding_does_not_matter(bind: Callable[..., FederatedBinding]) -> None:
    bind(_arn("role/*"), match=Match.GLOB, enabled=False)
    exact = bind(ROLE)
    assert _resolved_binding(ROLE) == exact.pk
    assert federation.resolve("aws", _arn("role/other")) is None


@pytest.mark.django_db
def test_equal_globs_that_both_match_are_a_configuration_error(bind: Callable[..., FederatedBinding]) -> None:
    first = bind(_arn("role/dep*"), match=Match.GLOB)
    second = bind(_arn("role/*yer"), match=Match.GLOB)  # the same number of literal characters
    with pytest.raises(AmbiguousBinding) as raised:
        federation.resolve("aws", ROLE)
    assert raised.value.binding_ids == [first.pk, second.pk]
    assert ROLE in str(raised.value)
    # Only the identities both match are affected.
    assert _resolved_binding(_arn("role/depot")) == first.pk


@pytest.mark.django_db
def test_duplicate_exact_bindings_are_a_configuration_error(bind: Callable[..., FederatedBinding]) -> None:
    bind(ROLE)
    bind(ROLE, enabled=False)
    with pytest.raises(AmbiguousBinding):
        federation.resolve("aws", ROLE)


@pytest.mark.django_db
def test_inactive_acting_user_is_refused(bind: Callable[..., FederatedBinding], user: User) -> None:
    bind(ROLE, user=user)
    user.is_active = False
    user.save()
    assert federation.resolve("aws", ROLE) is None


# -- validation -------------------------------------------------------------------------------


def _validation_messages(binding: FederatedBinding) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        binding.full_clean()
    return raised.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("issuer", "match", "pattern", "field", "problem"),
    [
        ("oidc", Match.EXACT, ROLE, "issuer", "Unknown issuer 'oidc'"),
        ("aws", Match.GLOB, "*:role/ci-*", "pattern", "may not start with '*'"),
        ("aws", Match.GLOB, "arn:aws:iam::*:role/ci-*", "pattern", "full namespace"),
        ("aws", Match.GLOB, "arn:aws:iam::12345678901*", "pattern", "full namespace"),
        ("aws", Match.EXACT, "arn:aws:s3:::bucket", "pattern", "full namespace"),
        ("aws", Match.GLOB, ROLE, "pattern", "has no '*'"),
        ("aws", Match.GLOB, _arn("role/**"), "pattern", "once"),
        ("aws", Match.EXACT, _arn("role/with space"), "pattern", "without spaces"),
    ],
)
def test_patterns_are_validated(
    aws_client: Client, issuer: str, match: str, pattern: str, field: str, problem: str
) -> None:
    binding = FederatedBinding(issuer=issuer, match=match, pattern=pattern, client=aws_client)
    messages = _validation_messages(binding)
    assert any(problem in message for message in messages[field]), messages


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/build-7", ROLE),
        (_arn("role/ci/deployer"), ROLE),
        (_arn("root"), "can never sign in"),
        (_arn("group/admins"), "can never sign in"),
    ],
)
def test_exact_aws_patterns_must_be_canonical_arns(aws_client: Client, pattern: str, hint: str) -> None:
    pytest.importorskip("oauth2_grant_aws_identity", reason="the aws_identity grant is not installed")
    binding = FederatedBinding(issuer="aws", pattern=pattern, client=aws_client)
    [message] = _validation_messages(binding)["pattern"]
    assert hint in message


@pytest.mark.django_db
def test_a_valid_binding_passes(aws_client: Client) -> None:
    FederatedBinding(issuer="aws", pattern=USER_ALICE, client=aws_client).full_clean()
    FederatedBinding(issuer="aws", match=Match.GLOB, pattern=_arn("role/ci-*"), client=aws_client).full_clean()


@pytest.mark.django_db
def test_user_and_auto_provisioning_exclude_each_other(aws_client: Client, user: User) -> None:
    binding = FederatedBinding(issuer="aws", pattern=ROLE, client=aws_client, user=user, auto_provision=True)
    assert "auto_provision" in _validation_messages(binding)
    with pytest.raises(IntegrityError), transaction.atomic():
        binding.save()


@pytest.mark.django_db
def test_lifetime_must_be_positive(aws_client: Client) -> None:
    binding = FederatedBinding(issuer="aws", pattern=ROLE, client=aws_client, max_lifetime=0)
    assert "max_lifetime" in _validation_messages(binding)
    with pytest.raises(IntegrityError), transaction.atomic():
        binding.save()


@pytest.mark.django_db
def test_client_must_allow_the_issuers_grant_type(make_client: Callable[..., Registered]) -> None:
    password_only = make_client(grant_types=("password",)).client
    binding = FederatedBinding(issuer="aws", pattern=ROLE, client=password_only)
    [message] = _validation_messages(binding)["client"]
    assert "'aws_identity'" in message


@pytest.mark.django_db
def test_a_tying_binding_is_refused(bind: Callable[..., FederatedBinding], aws_client: Client) -> None:
    existing = bind(_arn("role/dep*"), match=Match.GLOB, enabled=False)
    tying = FederatedBinding(issuer="aws", match=Match.GLOB, pattern=_arn("role/*yer"), client=aws_client)
    [message] = _validation_messages(tying)["pattern"]
    assert f"#{existing.pk}" in message
    # Disjoint, or more specific: fine.
    FederatedBinding(issuer="aws", match=Match.GLOB, pattern=_arn("user/*yer"), client=aws_client).full_clean()
    FederatedBinding(issuer="aws", match=Match.GLOB, pattern=_arn("role/depl*"), client=aws_client).full_clean()
    # Saving the existing binding again does not tie with itself.
    existing.full_clean()


# -- auto-provisioning ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_auto_provisioning_creates_one_user_per_identity(bind: Callable[..., FederatedBinding]) -> None:
    bind(_arn("user/*"), match=Match.GLOB, auto_provision=True)
    first = federation.resolve("aws", USER_ALICE)
    again = federation.resolve("aws", USER_ALICE)
    other = federation.resolve("aws", _arn("user/bob"))
    assert first is not None and again is not None and other is not None
    assert first.user_id == again.user_id != other.user_id
    alice = User.objects.get(pk=first.user_id)
    assert not alice.has_usable_password()
    assert alice.username == federation.provisioned_username("aws", USER_ALICE)
    assert alice.username.startswith("aws.alice.")
    assert not alice.is_staff and not alice.is_superuser
    identity = FederatedIdentity.objects.get(user=alice)
    assert (identity.issuer, identity.subject) == ("aws", USER_ALICE)
    assert FederatedIdentity.objects.count() == 2


def test_provisioned_usernames_are_deterministic_valid_and_bounded() -> None:
    from django.contrib.auth.validators import UnicodeUsernameValidator

    long_subject = _arn("user/" + "x" * 64 + "/" + "n" * 64)
    names = {
        subject: federation.provisioned_username("aws", subject)
        for subject in (
            USER_ALICE,
            _arn("user/other/alice"),
            f"arn:aws:sts::{ACCOUNT}:federated-user/b+c",
            long_subject,
        )
    }
    assert names[USER_ALICE] == federation.provisioned_username("aws", USER_ALICE)
    assert len(set(names.values())) == len(names)  # same tail, different identity: different name
    for name in names.values():
        UnicodeUsernameValidator()(name)
        assert len(name) <= 150 - 9  # room for the collision suffix


@pytest.mark.django_db
def test_provisioning_never_attaches_to_an_existing_user_with_the_same_username(
    bind: Callable[..., FederatedBinding], django_user_model: type[User]
) -> None:
    squatter = django_user_model.objects.create_user(federation.provisioned_username("aws", USER_ALICE), password="x")
    bind(USER_ALICE, auto_provision=True)
    resolution = federation.resolve("aws", USER_ALICE)
    assert resolution is not None and resolution.user_id != str(squatter.pk)
    provisioned = User.objects.get(pk=resolution.user_id)
    assert provisioned.username.startswith(squatter.username + "-")
    assert not FederatedIdentity.objects.filter(user=squatter).exists()
    squatter.refresh_from_db()
    assert squatter.check_password("x")
    assert federation.resolve("aws", USER_ALICE) == resolution


@pytest.mark.django_db
def test_deactivated_provisioned_user_is_refused_and_not_replaced(bind: Callable[..., FederatedBinding]) -> None:
    bind(USER_ALICE, auto_provision=True)
    resolution = federation.resolve("aws", USER_ALICE)
    assert resolution is not None
    User.objects.filter(pk=resolution.user_id).update(is_active=False)
    assert federation.resolve("aws", USER_ALICE) is None
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_deleting_the_provisioned_user_gives_the_identity_a_new_one(bind: Callable[..., FederatedBinding]) -> None:
    bind(USER_ALICE, auto_provision=True)
    first = federation.resolve("aws", USER_ALICE)
    assert first is not None
    User.objects.filter(pk=first.user_id).delete()
    assert not FederatedIdentity.objects.exists()
    second = federation.resolve("aws", USER_ALICE)
    assert second is not None and second.user_id != first.user_id


@pytest.mark.django_db
def test_provisioning_reraises_integrity_errors_it_does_not_expect(
    bind: Callable[..., FederatedBinding], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user model that needs more than a username is a setup error, reported as such, not a retry loop."""

    def refuse(self: User, *args: Any, **kwargs: Any) -> None:
        raise IntegrityError("NOT NULL constraint failed: auth_user.department")

    bind(USER_ALICE, auto_provision=True)
    monkeypatch.setattr(User, "save", refuse)
    with pytest.raises(IntegrityError, match="department"):
        federation.resolve("aws", USER_ALICE)


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sign_ins_get_one_user(bind: Callable[..., FederatedBinding]) -> None:
    bind(_arn("user/*"), match=Match.GLOB, auto_provision=True)
    threads_count = 10
    start = threading.Barrier(threads_count)
    results: list[object] = []

    def sign_in() -> None:
        try:
            start.wait(timeout=30)
            resolution = federation.resolve("aws", USER_ALICE)
            results.append(None if resolution is None else resolution.user_id)
        except Exception as exc:  # collected, so the assertion below shows it
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_in) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == threads_count
    assert len(set(results)) == 1 and isinstance(results[0], str), results
    assert User.objects.count() == 1
    assert FederatedIdentity.objects.count() == 1
    if is_postgres():
        # Every loser waited at a unique index for the winner's commit; none got an error.
        assert not any(isinstance(result, Exception) for result in results)


# -- one-time values in the cache ---------------------------------------------------------------------


def _locmem(name: str) -> dict[str, Any]:
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"{name}-{uuid.uuid4()}"}


def _redis_cache() -> dict[str, Any]:
    pytest.importorskip("redis", reason="the redis package is not installed")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        # Our own namespace per test run, so the shared server holds nothing of ours between tests.
        "KEY_PREFIX": f"oauth2-django-tests-{uuid.uuid4()}",
    }


@pytest.fixture(params=["locmem", "redis"])
def replay_caches(request: pytest.FixtureRequest) -> Iterator[str]:
    """The replay cache on each backend: REPLAY_CACHE names a cache other than 'default'."""
    cache = _locmem("replay") if request.param == "locmem" else _redis_cache()
    with override_settings(
        CACHES={"default": _locmem("default"), "replay": cache},
        OAUTH2_SERVER=server_setting(REPLAY_CACHE="replay"),
    ):
        # No clear() afterwards: on Redis it is FLUSHDB, which would wipe other users of the shared server.
        # Every key here lives at most 60 seconds under this test's own KEY_PREFIX.
        yield request.param


def test_remember_is_true_once_per_key_in_the_configured_cache(replay_caches: str) -> None:
    assert replay.remember("oauth2:test:a", 60) is True
    assert replay.remember("oauth2:test:a", 60) is False
    assert replay.remember("oauth2:test:b", 60) is True
    assert caches["replay"].get("oauth2:test:a") is not None
    assert caches["default"].get("oauth2:test:a") is None


def test_remembered_key_is_forgotten_after_its_ttl(replay_caches: str) -> None:
    assert replay.remember("oauth2:test:short", 1) is True
    time.sleep(1.2)
    assert replay.remember("oauth2:test:short", 1) is True


def test_a_stored_nonce_is_consumed_once(replay_caches: str) -> None:
    replay.store("oauth2:test:nonce", 60)
    assert replay.consume("oauth2:test:nonce") is True
    assert replay.consume("oauth2:test:nonce") is False
    assert replay.consume("oauth2:test:never-stored") is False


def test_an_expired_nonce_is_not_consumed(replay_caches: str) -> None:
    """Locmem's delete() alone would say True here: it removes expired entries it has not culled yet."""
    replay.store("oauth2:test:expiring", 1)
    time.sleep(1.2)
    assert replay.consume("oauth2:test:expiring") is False


@pytest.mark.parametrize("operation", ["remember", "consume"])
def test_concurrent_callers_have_exactly_one_winner(replay_caches: str, operation: str) -> None:
    key = f"oauth2:test:race-{operation}"
    if operation == "consume":
        replay.store(key, 60)
    start = threading.Barrier(16)
    outcomes: list[bool] = []

    def attempt() -> None:
        start.wait(timeout=30)
        outcomes.append(replay.remember(key, 60) if operation == "remember" else replay.consume(key))

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == [False] * 15 + [True]


def test_an_unreachable_cache_refuses_with_503() -> None:
    pytest.importorskip("redis", reason="the redis package is not installed")
    unreachable = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1},
    }
    with override_settings(
        CACHES={"default": _locmem("default"), "down": unreachable}, OAUTH2_SERVER=server_setting(REPLAY_CACHE="down")
    ):
        for call in (lambda: replay.remember("k", 5), lambda: replay.store("k", 5), lambda: replay.consume("k")):
            with pytest.raises(TemporarilyUnavailable):
                call()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- the aws_identity grant through the Django token view, against moto -----------------------------------


@pytest.fixture(scope="session")
def moto() -> Iterator[Any]:
    pytest.importorskip("oauth2_grant_aws_identity", reason="the aws_identity grant is not installed")
    if sts is None:
        pytest.skip("moto, boto3 and botocore are needed for the aws_identity flow tests (pip install 'moto[server]')")
    with sts.loopback_sts() as server:
        yield server


def _aws_setting(**options: Any) -> dict[str, Any]:
    return server_setting(
        GRANTS=["password", "refresh_token", "aws_identity"],
        GRANT_OPTIONS={"aws_identity": {"server_id": aws_requests.SERVER_ID, **options}},
    )


@pytest.fixture
def aws_enabled(moto: Any) -> Iterator[Any]:
    """The grant enabled with moto as its STS, and a fresh replay cache."""
    with override_settings(CACHES={"default": _locmem("default")}, OAUTH2_SERVER=_aws_setting(sts_endpoint=moto.url)):
        yield moto


def _tokens_written() -> int:
    return AccessToken.objects.count() + RefreshToken.objects.count()


def _error(response: Any, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return str(json.loads(response.content)["error"])


@pytest.mark.django_db
def test_signed_request_gets_a_token_for_a_provisioned_user(
    client: HttpClient, aws_enabled: Any, bind: Callable[..., FederatedBinding], aws_client: Client
) -> None:
    bind(sts.ALICE, auto_provision=True, scope=("read", "write"), max_lifetime=600)
    response = post_token(client, aws_requests.token_form(aws_requests.sign(aws_enabled.alice, aws_enabled.host)))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read write" and body["expires_in"] == 600
    assert "refresh_token" not in body
    assert RefreshToken.objects.count() == 0
    [stored] = AccessToken.objects.all()
    identity = FederatedIdentity.objects.get(subject=sts.ALICE)
    assert (stored.client_id, stored.user_id) == (aws_client.client_id, identity.user_id)
    # The token works on a protected view, as the provisioned user.
    me = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert me.status_code == 200
    assert me.json()["user"] == identity.user.username


@pytest.mark.django_db
def test_the_grants_own_client_helper_gets_a_token(
    client: HttpClient, aws_enabled: Any, bind: Callable[..., FederatedBinding]
) -> None:
    """Signed with awsv4sign through oauth2_grant_aws_identity.client, as the console script does."""
    from oauth2_grant_aws_identity.client import AwsCredentials, build_token_parameters

    bind(sts.ALICE, scope=("read",))
    credentials = AwsCredentials(aws_enabled.alice.access_key, aws_enabled.alice.secret_key)
    form = build_token_parameters(
        credentials, region=sts.REGION, server_id=aws_requests.SERVER_ID, sts_endpoint=aws_enabled.url
    )
    response = post_token(client, form)
    assert response.status_code == 200, response.content
    assert AccessToken.objects.get().user_id is None  # a client-only binding


@pytest.mark.django_db
def test_assumed_role_session_is_bound_by_its_role(
    client: HttpClient, aws_enabled: Any, bind: Callable[..., FederatedBinding], user: User
) -> None:
    bind(_arn("role/deploy*"), match=Match.GLOB, user=user)
    signed = aws_requests.sign(aws_enabled.role_session, aws_enabled.host)
    response = post_token(client, aws_requests.token_form(signed))
    assert response.status_code == 200, response.content
    assert AccessToken.objects.get().user_id == user.pk


@pytest.mark.django_db
def test_same_signed_request_twice_gives_one_token(
    client: HttpClient, aws_enabled: Any, bind: Callable[..., FederatedBinding]
) -> None:
    bind(sts.ALICE, auto_provision=True)
    form = aws_requests.token_form(aws_requests.sign(aws_enabled.alice, aws_enabled.host))
    first, second = post_token(client, form), post_token(client, form)
    assert first.status_code == 200, first.content
    assert _error(second, 400) == "invalid_grant"
    assert "already used" in second.json()["error_description"]
    assert _tokens_written() == 1


@pytest.mark.django_db
def test_unmapped_arn_is_invalid_grant(
    client: HttpClient, aws_enabled: Any, bind: Callable[..., FederatedBinding]
) -> None:
    bind(sts.ALICE)
    response = post_token(client, aws_requests.token_form(aws_requests.sign(aws_enabled.bob, aws_enabled.host)))
    assert _error(response, 400) == "invalid_grant"
    assert _tokens_written() == 0 and not FederatedIdentity.objects.exists()


@pytest.mark.django_db
def test_disabled_binding_is_invalid_grant(
    client: HttpClient, aws_enabled: Any, bind: Callable[..., FederatedBinding]
) -> None:
    bind(_arn("user/*"), match=Match.GLOB)
    bind(sts.ALICE, enabled=False)
    response = post_token(client, aws_requests.token_form(aws_requests.sign(aws_enabled.alice, aws_enabled.host)))
    assert _error(response, 400) == "invalid_grant"
    assert _tokens_written() == 0


@pytest.mark.django_db
def test_tied_bindings_are_invalid_grant_and_logged(
    client: HttpClient, aws_enabled: Any, bind: Callable[..., FederatedBinding], caplog: pytest.LogCaptureFixture
) -> None:
    first = bind(_arn("user/team/*"), match=Match.GLOB)
    second = bind(_arn("user/*alice"), match=Match.GLOB)
    response = post_token(client, aws_requests.token_form(aws_requests.sign(aws_enabled.alice, aws_enabled.host)))
    assert _error(response, 400) == "invalid_grant"
    assert "equal precedence" in response.json()["error_description"]
    assert f"#{first.pk}, #{second.pk}" in caplog.text
    assert _tokens_written() == 0


@pytest.mark.django_db
def test_inactive_client_is_invalid_grant(
    client: HttpClient, aws_enabled: Any, bind: Callable[..., FederatedBinding], aws_client: Client
) -> None:
    bind(sts.ALICE)
    Client.objects.filter(pk=aws_client.pk).update(is_active=False)
    response = post_token(client, aws_requests.token_form(aws_requests.sign(aws_enabled.alice, aws_enabled.host)))
    assert _error(response, 400) == "invalid_grant"


@pytest.mark.django_db
def test_client_without_the_grant_type_is_unauthorized(
    client: HttpClient, aws_enabled: Any, bind: Callable[..., FederatedBinding], make_client: Callable[..., Registered]
) -> None:
    password_only = make_client(grant_types=("password",), name="not federated").client
    bind(sts.ALICE, client=password_only)
    response = post_token(client, aws_requests.token_form(aws_requests.sign(aws_enabled.alice, aws_enabled.host)))
    assert _error(response, 400) == "unauthorized_client"
    assert _tokens_written() == 0


@pytest.mark.django_db
def test_sts_down_is_503_json_and_writes_nothing(
    client: HttpClient, moto: Any, bind: Callable[..., FederatedBinding]
) -> None:
    down = aws_requests.closed_port_url()
    host = down.removeprefix("http://").rstrip("/")
    bind(sts.ALICE, auto_provision=True)
    with override_settings(CACHES={"default": _locmem("default")}, OAUTH2_SERVER=_aws_setting(sts_endpoint=down)):
        response = post_token(client, aws_requests.token_form(aws_requests.sign(moto.alice, host)))
    assert _error(response, 503) == "temporarily_unavailable"
    assert response["Retry-After"]
    assert _tokens_written() == 0
    assert not FederatedIdentity.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_challenge_mode_through_django(client: HttpClient, moto: Any, bind: Callable[..., FederatedBinding]) -> None:
    bind(sts.ALICE)
    setting = _aws_setting(sts_endpoint=moto.url, challenge=True)
    with override_settings(CACHES={"default": _locmem("default")}, OAUTH2_SERVER=setting):
        issued = client.post("/oauth2/aws_identity/challenge", secure=True)
        assert issued.status_code == 200, issued.content
        assert issued["Cache-Control"] == "no-store"
        challenge = issued.json()
        assert challenge["header"] == "X-OAuth2-Challenge" and challenge["expires_in"] == 120
        signed = {challenge["header"]: challenge["nonce"]}
        first = post_token(client, aws_requests.token_form(aws_requests.sign(moto.alice, moto.host, extra=signed)))
        assert first.status_code == 200, first.content
        # A newly signed request (another header, so another signature) cannot use the nonce again.
        again = {**signed, "X-Amz-Content-Sha256": hashlib.sha256(aws_requests.POST_BODY.encode()).hexdigest()}
        second = post_token(client, aws_requests.token_form(aws_requests.sign(moto.alice, moto.host, extra=again)))
        assert _error(second, 400) == "invalid_grant"
        assert "challenge nonce" in second.json()["error_description"]
        unsigned = post_token(client, aws_requests.token_form(aws_requests.sign(moto.alice, moto.host)))
        assert _error(unsigned, 400) == "invalid_request"
        assert _error(client.get("/oauth2/aws_identity/challenge", secure=True), 405) == "invalid_request"
        assert _error(client.post("/oauth2/aws_identity/challenge"), 400) == "invalid_request"  # plain HTTP
    assert AccessToken.objects.count() == 1


@pytest.mark.django_db
def test_challenge_endpoint_is_404_json_when_challenge_mode_is_off(client: HttpClient, aws_enabled: Any) -> None:
    assert _error(client.post("/oauth2/aws_identity/challenge", secure=True), 404) == "invalid_request"
    with override_settings(OAUTH2_SERVER=server_setting()):
        assert _error(client.post("/oauth2/aws_identity/challenge", secure=True), 404) == "invalid_request"


@override_settings(DEBUG=True)  # so Django's own loggers (SQL, requests) say as much as they ever do
@pytest.mark.django_db
def test_the_aws_identity_flow_leaks_no_secret(
    client: HttpClient,
    aws_enabled: Any,
    bind: Callable[..., FederatedBinding],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.test.utils import CaptureQueriesContext

    from oauth2_testing.leaks import assert_no_secrets, log_texts

    bind(_arn("role/deploy*"), match=Match.GLOB, auto_provision=True)
    session = aws_enabled.role_session
    # Signed before logs are captured: botocore's own DEBUG lines show the client side's canonical request.
    headers = aws_requests.sign(session, aws_enabled.host)
    unbound = aws_requests.sign(aws_enabled.bob, aws_enabled.host)
    caplog.set_level(logging.DEBUG)
    with CaptureQueriesContext(connection) as queries:
        issued = post_token(client, aws_requests.token_form(headers))
        post_token(client, aws_requests.token_form(headers))  # the replay, refused
        post_token(client, aws_requests.token_form(unbound))
    assert issued.status_code == 200, issued.content
    signature = headers["Authorization"].rpartition("Signature=")[2]
    assert_no_secrets(
        {
            "secret access key": [session.secret_key, aws_enabled.bob.secret_key],
            "session token": [session.token],
            "signature": [signature],
            "access token": [issued.json()["access_token"]],
        },
        [*log_texts(caplog.records), *(str(query["sql"]) + str(query) for query in queries.captured_queries)],
    )


# -- admin ----------------------------------------------------------------------------------------


def _binding_form(aws_client: Client, scope_rows: dict[str, Scope], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "issuer": "aws",
        "match": "glob",
        "pattern": _arn("role/ci-*"),
        "enabled": "on",
        "description": "CI jobs",
        "client": aws_client.pk,
        "user": "",
        "scopes": [scope_rows["read"].pk],
        "max_lifetime": "900",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_admin_adds_a_valid_binding(admin_client: HttpClient, aws_client: Client, scopes: dict[str, Scope]) -> None:
    response = admin_client.post("/admin/oauth2/federatedbinding/add/", _binding_form(aws_client, scopes))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    binding = FederatedBinding.objects.get()
    assert (binding.pattern, binding.max_lifetime, binding.enabled) == (_arn("role/ci-*"), 900, True)
    assert list(binding.scopes.values_list("name", flat=True)) == ["read"]
    listing = admin_client.get("/admin/oauth2/federatedbinding/")
    assert listing.status_code == 200 and "the client alone" in listing.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"scopes": ["admin"]}, "may not be given admin"),
        ({"pattern": "arn:aws:iam::*:role/ci-*"}, "full namespace"),
        ({"issuer": "oidc"}, "Select a valid choice"),
        ({"auto_provision": "on", "user": "USER"}, "not both"),
    ],
)
def test_admin_refuses_a_bad_binding(
    admin_client: HttpClient,
    aws_client: Client,
    scopes: dict[str, Scope],
    user: User,
    overrides: dict[str, Any],
    problem: str,
) -> None:
    data = _binding_form(aws_client, scopes, **overrides)
    if overrides.get("scopes") == ["admin"]:
        data["scopes"] = [scopes["admin"].pk]
    if overrides.get("user") == "USER":
        data["user"] = user.pk
    response = admin_client.post("/admin/oauth2/federatedbinding/add/", data)
    assert response.status_code == 200
    assert problem in str(response.context["adminform"].form.errors)
    assert not FederatedBinding.objects.exists()


@pytest.mark.django_db
def test_admin_shows_identities_read_only(admin_client: HttpClient, bind: Callable[..., FederatedBinding]) -> None:
    bind(USER_ALICE, auto_provision=True)
    resolution = federation.resolve("aws", USER_ALICE)
    assert resolution is not None
    identity = FederatedIdentity.objects.get()
    listing = admin_client.get("/admin/oauth2/federatedidentity/")
    assert listing.status_code == 200 and USER_ALICE in listing.content.decode()
    assert admin_client.get("/admin/oauth2/federatedidentity/add/").status_code == 403
    page = admin_client.get(f"/admin/oauth2/federatedidentity/{identity.pk}/change/")
    assert page.status_code == 200
    form = page.content.decode().split('id="federatedidentity_form"')[1].split("</form>")[0]
    assert 'type="text"' not in form and 'name="_save"' not in form


def test_challenge_endpoint_is_404_json_without_the_grant(client: HttpClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "oauth2_grant_aws_identity", None)  # import now raises ImportError
    response = client.post("/oauth2/aws_identity/challenge", secure=True)
    assert _error(response, 404) == "invalid_request"
    assert "not installed" in response.json()["error_description"]
