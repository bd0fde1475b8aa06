"""The ORM token store and host hooks: the shared store contract, rotation under concurrency, client lookup."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client as HttpClient
from django.utils import timezone

from oauth2_django import store
from oauth2_django.models import AccessToken, Client, RefreshToken
from oauth2_django.server import get_server
from oauth2_testing.contracts import TokenStoreContract
from oauth2_testing.factories import issued_tokens

from .conftest import FORM, TOKEN_URL, Registered, is_postgres

T = TypeVar("T")


@pytest.mark.django_db(transaction=True)
class TestDjangoTokenStore(TokenStoreContract):
    """The contract every token store honours, against SQLite or PostgreSQL."""

    @pytest.fixture(autouse=True)
    def _owners(self, django_user_model: type[User]) -> None:
        # issued_tokens() speaks for client "client" and user "1".
        Client.objects.create(client_id="client", name="contract")
        django_user_model.objects.create(pk=1, username="contract")

    @pytest.fixture
    def store(self) -> object:
        return store

    @pytest.fixture
    def store_transaction(self) -> Callable[[], AbstractContextManager[Any]]:
        return lambda: get_server().hooks.transaction()

    def run_in_thread(self, function: Callable[[], T]) -> T:
        try:
            return function()
        finally:
            connection.close()  # each thread has its own connection; leave none open


def _saved(registered: Registered, user: User) -> Any:
    tokens = issued_tokens(client_id=registered.client_id, user_id=str(user.pk), now=timezone.now())
    with transaction.atomic():
        store.oauth2_store_save_tokens(tokens)
    return tokens


@pytest.mark.django_db
def test_rotation_is_one_conditional_update(registered: Registered, user: User, django_assert_num_queries: Any) -> None:
    old = _saved(registered, user)
    new = issued_tokens(client_id=registered.client_id, user_id=str(user.pk), family_id=old.access.family_id)
    with django_assert_num_queries(4) as captured:  # UPDATE refresh, UPDATE access, INSERT access, INSERT refresh
        assert store.oauth2_store_rotate_refresh_token(old.refresh.digest, new) is True
    first = captured.captured_queries[0]["sql"]
    assert first.startswith("UPDATE")
    assert '"consumed_at" IS NULL' in first
    assert '"revoked_at" IS NULL' in first
    assert RefreshToken.objects.get(digest=old.refresh.digest).consumed_at is not None
    assert AccessToken.objects.get(digest=old.access.digest).revoked_at is not None


@pytest.mark.django_db
def test_find_client_is_one_query_with_secrets_and_scopes(
    registered: Registered, django_assert_num_queries: Any
) -> None:
    registered.client.add_secret(expires_at=timezone.now() + timedelta(days=1))
    server = get_server()
    with django_assert_num_queries(1):
        found = server.hooks.find_client(registered.client_id)
    assert found is not None
    assert found.confidential
    assert found.scopes == frozenset({"read", "write"})
    assert found.grant_types == frozenset({"password", "refresh_token"})
    assert len(found.secrets) == 2
    assert registered.secret is not None
    assert found.accepts_secret(registered.secret, timezone.now())
    assert registered.secret not in repr(found)


@pytest.mark.django_db
def test_find_client_without_secrets_or_scopes(make_client: Callable[..., Registered]) -> None:
    public = make_client(public=True, scope=())
    found = get_server().hooks.find_client(public.client_id)
    assert found is not None
    assert not found.confidential
    assert found.secrets == ()
    assert found.scopes == frozenset()
    assert get_server().hooks.find_client("nobody") is None


def _refresh_concurrently(registered: Registered, refresh_token: str, workers: int) -> list[tuple[int, dict[str, Any]]]:
    body = urlencode(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": registered.client_id,
            "client_secret": registered.secret or "",
        }
    )
    start = threading.Barrier(workers)
    results: list[Any] = [None] * workers

    def refresh(index: int) -> None:
        http = HttpClient()
        start.wait()
        try:
            response = http.post(TOKEN_URL, body, content_type=FORM, secure=True)
            results[index] = (response.status_code, response.json())
        except BaseException as exc:  # reported by the assertions below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def first_tokens(transactional_db: None, registered: Registered, user: User) -> Iterator[dict[str, Any]]:
    http = HttpClient()
    form = {
        "grant_type": "password",
        "username": user.username,
        "password": "correct horse battery staple",
        "client_id": registered.client_id,
        "client_secret": registered.secret or "",
    }
    response = http.post(TOKEN_URL, urlencode(form), content_type=FORM, secure=True)
    assert response.status_code == 200, response.content
    yield response.json()


def test_twenty_concurrent_refreshes_one_winner(registered: Registered, first_tokens: dict[str, Any]) -> None:
    results = _refresh_concurrently(registered, first_tokens["refresh_token"], 20)
    errors = [result for result in results if not isinstance(result, tuple)]
    assert not errors, errors[:3]
    statuses = sorted(status for status, _ in results)
    assert all(status < 500 for status in statuses), statuses
    winners = [body for status, body in results if status == 200]
    losers = [body for status, body in results if status != 200]
    assert {body["error"] for body in losers} <= {"invalid_grant"}
    if is_postgres():
        assert len(winners) == 1, statuses
    else:
        assert len(winners) <= 1, statuses
    assert RefreshToken.objects.filter(consumed_at__isnull=False).count() == len(winners)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_commits", [True, False], ids=["first-commits", "first-rolls-back"])
def test_waiting_rotation_rechecks_after_the_row_lock(registered: Registered, user: User, first_commits: bool) -> None:
    """A second rotation blocks on the first one's row lock, then sees its outcome."""
    old = _saved(registered, user)
    family = old.access.family_id
    first_done, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    class RollBack(Exception):
        pass

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = store.oauth2_store_rotate_refresh_token(
                    old.refresh.digest,
                    issued_tokens(client_id=registered.client_id, user_id=str(user.pk), family_id=family),
                )
                first_done.set()
                release.wait(timeout=30)
                if not first_commits:
                    raise RollBack
        except RollBack:
            pass
        finally:
            connection.close()

    def second() -> None:
        first_done.wait(timeout=30)
        try:
            with transaction.atomic():
                results["second"] = store.oauth2_store_rotate_refresh_token(
                    old.refresh.digest,
                    issued_tokens(client_id=registered.client_id, user_id=str(user.pk), family_id=family),
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    with connection.cursor() as cursor:
        for _ in range(300):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0] >= 1:
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the second rotation never waited for the first one's row lock")
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {"first": True, "second": not first_commits}
    assert RefreshToken.objects.filter(family_id=family).count() == 2
