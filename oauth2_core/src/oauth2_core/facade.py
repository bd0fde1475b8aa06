"""The typed facade over ``pm.hook``: the only code that calls core hooks.

Everything else calls these methods, so hook names and argument names live in
one place and mypy checks every call site.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import cast

import pluggy

from oauth2_core.clients import Client
from oauth2_core.events import SecurityEvent
from oauth2_core.tokens import AccessTokenRecord, IssuedTokens, RefreshTokenRecord


class Hooks:
    """Host services and token store, as typed calls."""

    __slots__ = ("_hook",)

    def __init__(self, pluginmanager: pluggy.PluginManager) -> None:
        self._hook = pluginmanager.hook

    @property
    def relay(self) -> pluggy.HookRelay:
        """The raw relay, for a grant's own typed facade over the hooks it added."""
        return self._hook

    def find_client(self, client_id: str) -> Client | None:
        return cast("Client | None", self._hook.oauth2_host_find_client(client_id=client_id))

    def transaction(self) -> AbstractContextManager[None]:
        return cast("AbstractContextManager[None]", self._hook.oauth2_host_transaction())

    def save_tokens(self, tokens: IssuedTokens) -> None:
        self._hook.oauth2_store_save_tokens(tokens=tokens)

    def rotate_refresh_token(self, consumed_digest: str, tokens: IssuedTokens) -> bool:
        return bool(self._hook.oauth2_store_rotate_refresh_token(consumed_digest=consumed_digest, tokens=tokens))

    def find_access_token(self, digest: str) -> AccessTokenRecord | None:
        return cast("AccessTokenRecord | None", self._hook.oauth2_store_find_access_token(digest=digest))

    def find_refresh_token(self, digest: str) -> RefreshTokenRecord | None:
        return cast("RefreshTokenRecord | None", self._hook.oauth2_store_find_refresh_token(digest=digest))

    def revoke_family(self, family_id: str) -> int:
        return int(self._hook.oauth2_store_revoke_family(family_id=family_id) or 0)

    def security_event(self, event: SecurityEvent) -> None:
        """Log ``event`` and hand it to every observer."""
        event.log()
        self.observe(event)

    def observe(self, event: SecurityEvent) -> None:
        """Hand ``event`` to every observer without logging it (the caller logs it when the outcome is final)."""
        self._hook.oauth2_security_event(event=event)
