"""``passwords.authenticate`` answers exactly as Django's ``authenticate()``, with one raw query in the stock setup.

The fast path copies ``ModelBackend``'s steps; these tests hold it to Django's
own function on the same rows, so a Django release that changes those steps
fails here instead of drifting silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from oauth2_django import passwords

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


class EveryoneNamedAliceBackend:
    """A site's own backend: with it configured, the fast path must step aside."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None) -> User | None:
        return User.objects.filter(username="alice").first() if username == "alice" else None

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id).first()


@pytest.fixture
def failures() -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def record(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
        seen.append({"sender": sender, "credentials": dict(credentials)})

    user_login_failed.connect(record)
    yield seen
    user_login_failed.disconnect(record)


@pytest.fixture
def people(django_user_model: type[User]) -> dict[str, User]:
    inactive = django_user_model.objects.create_user("bob", password=PASSWORD)
    inactive.is_active = False
    inactive.save()
    return {"alice": django_user_model.objects.create_user("alice", password=PASSWORD), "bob": inactive}


CASES = [
    ("alice", PASSWORD),  # right
    ("alice", "wrong"),  # wrong password
    ("nobody", PASSWORD),  # unknown username
    ("bob", PASSWORD),  # inactive user, right password
    ("ALICE", PASSWORD),  # usernames are compared as the database compares them, like get_by_natural_key
    ("alice\x00", PASSWORD),  # junk Django's lookup must survive too
]


@pytest.mark.parametrize(("username", "password"), CASES)
def test_same_answer_and_same_signal_as_django(
    people: dict[str, User], failures: list[dict[str, Any]], username: str, password: str
) -> None:
    if "\x00" in username and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses NUL in text; the token endpoint refuses control characters before this")
    expected = django_authenticate(None, username=username, password=password)
    django_failures = list(failures)
    failures.clear()
    got = passwords.authenticate(username, password)
    assert (got.pk if got else None) == (expected.pk if expected else None)
    assert failures == django_failures
    for failure in failures:
        assert failure["credentials"]["password"] != password


def test_stock_setup_takes_one_query(people: dict[str, User]) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert passwords.authenticate("alice", PASSWORD) == people["alice"]
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_unknown_username_still_runs_the_hasher(people: dict[str, User], monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[str] = []
    original = User.set_password

    def counting(self: User, raw_password: str | None) -> None:
        hashed.append("hash")
        original(self, raw_password)

    monkeypatch.setattr(User, "set_password", counting)
    assert passwords.authenticate("nobody", PASSWORD) is None
    assert hashed == ["hash"]


@override_settings(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
)
def test_outdated_hash_is_upgraded_on_success(django_user_model: type[User]) -> None:
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        old_hash = make_password(PASSWORD)
    user = django_user_model.objects.create(username="carol", password=old_hash)
    assert passwords.authenticate("carol", PASSWORD) == user
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert check_password(PASSWORD, user.password)


@override_settings(AUTHENTICATION_BACKENDS=[f"{__name__}.EveryoneNamedAliceBackend"])
def test_another_backend_is_asked_instead(people: dict[str, User]) -> None:
    # This backend ignores the password: only Django's authenticate() would consult it.
    assert passwords.authenticate("alice", "anything at all") == people["alice"]
    assert passwords.authenticate("bob", PASSWORD) is None
