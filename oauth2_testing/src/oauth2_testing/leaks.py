"""Looking for secrets where they must never appear: log records, error texts, reprs.

A leak test runs complete flows with logging captured at DEBUG, records what
crossed the hooks with :class:`HookRecorder`, then hands every secret it used
to :func:`assert_no_secrets` together with the texts from
:func:`log_texts` and :func:`repr_texts`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Generator, Iterable, Mapping
from typing import TYPE_CHECKING

from oauth2_core import Client, hookimpl
from oauth2_core.events import SecurityEvent
from oauth2_core.tokens import AccessTokenRecord, IssuedTokens, RefreshTokenRecord

if TYPE_CHECKING:
    from oauth2_testing.client import TokenClient
    from oauth2_testing.memory import MemoryHost, MemoryTokenStore


def log_texts(records: Iterable[logging.LogRecord]) -> list[str]:
    """Everything a handler could write for each record: message, raw msg and args, exception, every attribute."""
    texts = []
    for record in records:
        texts.append(record.getMessage())
        # vars() covers msg, args, exc_info and any ``extra=`` attributes in one repr.
        texts.append(repr(vars(record)))
        if record.exc_info and record.exc_info[1] is not None:
            texts.append("".join(traceback.format_exception(record.exc_info[1])))
        if record.stack_info:
            texts.append(record.stack_info)
    return texts


def repr_texts(objects: Iterable[object]) -> list[str]:
    """``repr()`` and ``str()`` of each object; for exceptions, their formatted traceback too."""
    texts = []
    for item in objects:
        texts += [repr(item), str(item)]
        if isinstance(item, BaseException):
            texts.append("".join(traceback.format_exception(item)))
    return texts


def memory_run_texts(
    records: Iterable[logging.LogRecord],
    client: TokenClient,
    recorder: HookRecorder,
    host: MemoryHost,
    store: MemoryTokenStore,
) -> list[str]:
    """Every text a run over the memory host and store could expose.

    The log records, the error bodies the client received, the reprs of every
    request and response, of what crossed the hooks, of the host's clients and
    the store's rows, and of the server with its config and grants.
    """
    texts = log_texts(records)
    texts += [response.body.decode() for _, response in client.history if response.status != 200]
    texts += repr_texts(item for exchange in client.history for item in exchange)
    texts += repr_texts([*recorder.objects, store.access, store.refresh, host.clients])
    server = client.server
    texts += repr_texts([server, server.config, server.registry, *server.registry.values()])
    return texts


#: A secret counts as leaked when this many consecutive characters of it show,
#: which still allows the 9-character display prefix of a token.
FRAGMENT = 16


def _fragments(value: str) -> set[str]:
    if len(value) <= FRAGMENT:
        return {value}
    return {value[start : start + FRAGMENT] for start in range(len(value) - FRAGMENT + 1)}


def assert_no_secrets(secrets: Mapping[str, Iterable[str]], texts: Iterable[str]) -> None:
    """Fail if any secret, or any :data:`FRAGMENT` consecutive characters of one, occurs in any text.

    ``secrets`` maps a label ("client secret", "refresh token") to its
    values. The failure names the label and where it was found, never the
    value, so the report itself does not spread it.
    """
    haystacks = list(texts)
    found = []
    for label, values in secrets.items():
        for value in values:
            if not value:
                raise ValueError(f"an empty {label} cannot be searched for; use a real value")
            fragments = _fragments(value)
            for index, text in enumerate(haystacks):
                if any(fragment in text for fragment in fragments):
                    found.append(f"{label} in text #{index} ({len(text)} characters)")
    assert not found, "secrets leaked: " + "; ".join(found)  # noqa: S101 -- test helper: pytest reports asserts best


class HookRecorder:
    """Wraps the host and store hooks and keeps every object that crossed them, for repr checks.

    Register it beside the host and store (``plugins=[recorder]``); it
    changes nothing, it only looks.
    """

    def __init__(self) -> None:
        self.objects: list[object] = []

    @hookimpl(wrapper=True)
    def oauth2_host_find_client(self, client_id: str) -> Generator[None, Client | None, Client | None]:
        client = yield
        self.objects.append(client)
        return client

    @hookimpl(wrapper=True)
    def oauth2_store_save_tokens(self, tokens: IssuedTokens) -> Generator[None, bool, bool]:
        self.objects += [tokens, tokens.access, tokens.refresh]
        return (yield)

    @hookimpl(wrapper=True)
    def oauth2_store_rotate_refresh_token(
        self, consumed_digest: str, tokens: IssuedTokens
    ) -> Generator[None, bool, bool]:
        self.objects += [tokens, tokens.access, tokens.refresh]
        return (yield)

    @hookimpl(wrapper=True)
    def oauth2_store_find_access_token(
        self, digest: str
    ) -> Generator[None, AccessTokenRecord | None, AccessTokenRecord | None]:
        record = yield
        self.objects.append(record)
        return record

    @hookimpl(wrapper=True)
    def oauth2_store_find_refresh_token(
        self, digest: str
    ) -> Generator[None, RefreshTokenRecord | None, RefreshTokenRecord | None]:
        record = yield
        self.objects.append(record)
        return record

    @hookimpl(optionalhook=True)
    def oauth2_security_event(self, event: SecurityEvent) -> None:
        self.objects.append(event)
