"""Issuance is one transaction: the store writes and the ``token_issued`` observers run inside it, the log after it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from core_support import World, basic, build_world, echo_form

from oauth2_core import hookimpl
from oauth2_core.events import SecurityEvent
from oauth2_core.tokens import IssuedTokens


class Journal:
    """Host transaction, store wrapper and observer in one plugin, writing down what happened in which order."""

    def __init__(self, *, fail_on_issued: bool = False) -> None:
        self.entries: list[str] = []
        self.fail_on_issued = fail_on_issued

    @contextmanager
    def _transaction(self, host_transaction: AbstractContextManager[None]) -> Iterator[None]:
        self.entries.append("begin")
        try:
            with host_transaction:
                yield
        except BaseException:
            self.entries.append("rollback")
            raise
        self.entries.append("commit")

    @hookimpl(wrapper=True)
    def oauth2_host_transaction(self) -> Iterator[AbstractContextManager[None]]:
        host_transaction = yield
        return self._transaction(host_transaction)

    @hookimpl(wrapper=True)
    def oauth2_store_save_tokens(self, tokens: IssuedTokens) -> Iterator[None]:
        result = yield
        self.entries.append("saved")
        return result

    @hookimpl
    def oauth2_security_event(self, event: SecurityEvent) -> None:
        self.entries.append(f"observed {event.kind}")
        if self.fail_on_issued and event.kind == "token_issued":
            raise RuntimeError("audit trail unavailable")


class LogJournal(logging.Handler):
    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal

    def emit(self, record: logging.LogRecord) -> None:
        self.journal.entries.append(f"logged {record.oauth2_event['kind']}")  # type: ignore[attr-defined]


@pytest.fixture
def journal_world() -> Iterator[tuple[World, Journal, str]]:
    journal = Journal()
    world = build_world(plugins=[journal])
    secret = world.add_client("app")
    assert secret is not None
    handler = LogJournal(journal)
    logger = logging.getLogger("oauth2.security")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield world, journal, secret
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def test_observers_run_inside_the_transaction_and_the_log_follows_the_commit(
    journal_world: tuple[World, Journal, str],
) -> None:
    world, journal, secret = journal_world
    assert world.post(echo_form(), authorization=basic("app", secret)).status == 200
    assert journal.entries == ["begin", "saved", "observed token_issued", "commit", "logged token_issued"]


def test_a_failing_observer_rolls_the_issuance_back_and_nothing_is_logged(
    journal_world: tuple[World, Journal, str],
) -> None:
    world, journal, secret = journal_world
    journal.fail_on_issued = True
    with pytest.raises(RuntimeError, match="audit trail unavailable"):
        world.post(echo_form(), authorization=basic("app", secret))
    assert journal.entries == ["begin", "saved", "observed token_issued", "rollback"]


def test_refusals_are_logged_then_observed_outside_any_transaction(journal_world: tuple[World, Journal, str]) -> None:
    world, journal, secret = journal_world
    assert world.post(echo_form(code="wrong"), authorization=basic("app", secret)).status == 400
    assert journal.entries == ["logged token_refused", "observed token_refused"]
