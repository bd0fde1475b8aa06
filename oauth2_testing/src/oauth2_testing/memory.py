"""An in-memory host and token store: a complete server with no web framework.

Grant authors use it to drive the real endpoint flow in plain pytest. The store
takes a lock around rotation, so it honours the at-most-once contract under
threads just as a database store must.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime

from oauth2_core import Client, ClientSecret, hookimpl
from oauth2_core.tokens import (
    CLIENT_SECRET_PREFIX,
    AccessTokenRecord,
    IssuedTokens,
    RefreshTokenRecord,
    digest,
    generate,
)


class MemoryTokenStore:
    """Token-store hooks over two dicts keyed by digest."""

    def __init__(self) -> None:
        self.access: dict[str, AccessTokenRecord] = {}
        self.refresh: dict[str, RefreshTokenRecord] = {}
        self._lock = threading.Lock()

    def _save(self, tokens: IssuedTokens) -> None:
        self.access[tokens.access.digest] = tokens.access
        if tokens.refresh is not None:
            self.refresh[tokens.refresh.digest] = tokens.refresh

    @hookimpl
    def oauth2_store_save_tokens(self, tokens: IssuedTokens) -> bool:
        with self._lock:
            self._save(tokens)
        return True

    @hookimpl
    def oauth2_store_rotate_refresh_token(self, consumed_digest: str, tokens: IssuedTokens) -> bool:
        with self._lock:
            old = self.refresh.get(consumed_digest)
            if old is None or old.consumed or old.revoked:
                return False
            self.refresh[consumed_digest] = replace(old, consumed=True)
            previous_access = self.access.get(old.access_digest)
            if previous_access is not None:
                self.access[old.access_digest] = replace(previous_access, revoked=True)
            self._save(tokens)
        return True

    @hookimpl
    def oauth2_store_find_access_token(self, digest: str) -> AccessTokenRecord | None:
        return self.access.get(digest)

    @hookimpl
    def oauth2_store_find_refresh_token(self, digest: str) -> RefreshTokenRecord | None:
        return self.refresh.get(digest)

    @hookimpl
    def oauth2_store_revoke_family(self, family_id: str) -> int:
        with self._lock:
            access = {key: record for key, record in self.access.items() if record.family_id == family_id}
            refresh = {key: record for key, record in self.refresh.items() if record.family_id == family_id}
            for key, access_record in access.items():
                self.access[key] = replace(access_record, revoked=True)
            for key, refresh_record in refresh.items():
                self.refresh[key] = replace(refresh_record, revoked=True)
        already = sum(record.revoked for record in access.values()) + sum(record.revoked for record in refresh.values())
        return len(access) + len(refresh) - already


class MemoryHost:
    """Host hooks over in-memory clients and users.

    It also answers the hooks of the password grant (checking passwords,
    failure counters and lockouts) and of the refresh grant (whether a user
    is still active), all declared optional, so the host works whether or not
    those grants are loaded. Counters and locks never expire on their own: the
    grant keys counters by time window and compares lock ends with its clock,
    so a :class:`~oauth2_testing.clock.FakeClock` drives them.
    """

    def __init__(self) -> None:
        self.clients: dict[str, Client] = {}
        self.users: dict[str, tuple[str, str]] = {}
        #: Ids of users who may no longer sign in or refresh; see :meth:`deactivate_user`.
        self.inactive_user_ids: set[str] = set()
        #: Failure counters and lock ends of the password grant, by key.
        self.counters: dict[str, int] = {}
        self.locks: dict[str, datetime] = {}
        self._user_ids = itertools.count(1)
        self._lock = threading.Lock()

    def add_client(
        self,
        client_id: str,
        *,
        confidential: bool = True,
        grant_types: tuple[str, ...] = ("password", "refresh_token"),
        scopes: tuple[str, ...] = ("read", "write"),
        expires_at: datetime | None = None,
    ) -> str | None:
        """Register a client; returns its new secret (None for a public client)."""
        secret = generate(CLIENT_SECRET_PREFIX) if confidential else None
        stored = (ClientSecret(digest(secret), expires_at),) if secret else ()
        self.clients[client_id] = Client(client_id, confidential, frozenset(grant_types), frozenset(scopes), stored)
        return secret

    def add_user(self, username: str, password: str | None = None) -> tuple[str, str]:
        """Register a user; returns (user id, password)."""
        password = password or secrets.token_urlsafe(12)
        user_id = str(next(self._user_ids))
        self.users[username] = (user_id, password)
        return user_id, password

    def deactivate_user(self, user_id: str) -> None:
        """Stop a user signing in with a password or refreshing tokens (like Django's ``is_active = False``).

        Ids the host never registered count as active, so tests may seed
        tokens for any user id with :func:`oauth2_testing.factories.issue_tokens`.
        """
        self.inactive_user_ids.add(user_id)

    @hookimpl
    def oauth2_host_find_client(self, client_id: str) -> Client | None:
        return self.clients.get(client_id)

    @hookimpl
    def oauth2_host_transaction(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    @hookimpl(optionalhook=True)
    def oauth2_password_authenticate(self, username: str, password: str, client: Client) -> str | None:
        found = self.users.get(username)
        if found is None or not secrets.compare_digest(found[1].encode(), password.encode()):
            return None
        if found[0] in self.inactive_user_ids:
            return None
        return found[0]

    @hookimpl(optionalhook=True)
    def oauth2_password_locked_until(self, keys: Sequence[str]) -> datetime | None:
        ends = [self.locks[key] for key in keys if key in self.locks]
        return max(ends, default=None)

    @hookimpl(optionalhook=True)
    def oauth2_password_count_failure(self, key: str, ttl: int) -> int:
        with self._lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]

    @hookimpl(optionalhook=True)
    def oauth2_password_lock(self, key: str, until: datetime, ttl: int) -> None:
        self.locks[key] = until

    @hookimpl(optionalhook=True)
    def oauth2_refresh_user_active(self, user_id: str, client: Client) -> bool:
        return user_id not in self.inactive_user_ids
