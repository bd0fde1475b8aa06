"""The leak helpers find a planted secret wherever it hides, and the recorder sees what crossed the hooks."""

from __future__ import annotations

import logging
import secrets
from types import ModuleType

import pytest

from oauth2_core import ServerConfig, build_server
from oauth2_core.tokens import IssuedTokens
from oauth2_testing.client import TokenClient
from oauth2_testing.leaks import HookRecorder, assert_no_secrets, log_texts, memory_run_texts, repr_texts
from oauth2_testing.memory import MemoryHost, MemoryTokenStore

logger = logging.getLogger("oauth2_testing.tests.leaky")


class Leaky:
    """Shows all of a secret but three characters: still a leak."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Leaky({self.value[:3]}...{self.value[3:]})"


@pytest.fixture
def planted() -> str:
    return "o2rt_" + secrets.token_urlsafe(32)


def test_no_secret_passes(planted: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        logger.info("refreshed token=%s", planted[:9])
    assert_no_secrets({"refresh token": [planted]}, log_texts(caplog.records))


@pytest.mark.parametrize(
    "leak",
    [
        lambda value: logger.debug("refreshed token=%s", value),
        lambda value: logger.info(f"refreshed token={value}"),
        lambda value: logger.info("refreshed", extra={"token": value}),
        lambda value: logger.info("refreshed %r", Leaky(value)),
        lambda value: logger.warning("refreshed", extra={"request": {"form": {"refresh_token": value}}}),
    ],
    ids=["args", "message", "extra", "repr-in-args", "nested-extra"],
)
def test_secret_in_a_log_record_is_found(planted: str, caplog: pytest.LogCaptureFixture, leak: object) -> None:
    with caplog.at_level(logging.DEBUG):
        leak(planted)  # type: ignore[operator]
    with pytest.raises(AssertionError, match="refresh token in text") as caught:
        assert_no_secrets({"refresh token": [planted]}, log_texts(caplog.records))
    assert planted not in str(caught.value), "the failure report must not repeat the secret"


def test_secret_in_a_logged_exception_is_found(planted: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        try:
            raise ValueError(f"bad token {planted}")
        except ValueError:
            logger.exception("refresh failed")
    with pytest.raises(AssertionError):
        assert_no_secrets({"refresh token": [planted]}, log_texts(caplog.records))


def test_secret_in_repr_or_exception_is_found(planted: str) -> None:
    for leaking in (Leaky(planted), {"token": planted}, RuntimeError(planted)):
        with pytest.raises(AssertionError):
            assert_no_secrets({"token": [planted]}, repr_texts([leaking]))


def test_display_prefix_is_not_a_leak(planted: str) -> None:
    assert_no_secrets({"token": [planted]}, [f"token={planted[:9]}", planted[-9:]])


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty password"):
        assert_no_secrets({"password": [""]}, ["anything"])


def test_recorder_sees_what_crossed_the_hooks(ticket_grant_module: ModuleType) -> None:
    host, recorder = MemoryHost(), HookRecorder()
    secret = host.add_client("app", grant_types=(ticket_grant_module.GRANT_TYPE,))
    assert secret is not None
    server = build_server(ServerConfig(grants=()), [host, MemoryTokenStore(), ticket_grant_module, recorder])
    response = TokenClient(server).post(
        {"grant_type": ticket_grant_module.GRANT_TYPE, "ticket": "valid-1"}, basic=("app", secret)
    )
    assert response.status == 200
    assert host.clients["app"] in recorder.objects
    issued = [item for item in recorder.objects if isinstance(item, IssuedTokens)]
    assert len(issued) == 1 and issued[0].access_token == response.json()["access_token"]
    assert_no_secrets({"access token": [issued[0].access_token]}, repr_texts(recorder.objects))


def test_memory_run_texts_cover_logs_store_and_exchanges(
    ticket_grant_module: ModuleType, planted: str, caplog: pytest.LogCaptureFixture
) -> None:
    host, store, recorder = MemoryHost(), MemoryTokenStore(), HookRecorder()
    secret = host.add_client("app", grant_types=(ticket_grant_module.GRANT_TYPE,))
    assert secret is not None
    server = build_server(ServerConfig(grants=()), [host, store, ticket_grant_module, recorder])
    client = TokenClient(server)
    with caplog.at_level(logging.DEBUG):
        issued = client.post({"grant_type": ticket_grant_module.GRANT_TYPE, "ticket": "valid-1"}, basic=("app", secret))
        refused = client.post({"grant_type": ticket_grant_module.GRANT_TYPE, "ticket": "valid-2"}, basic=("app", "x"))
    assert (issued.status, refused.status) == (200, 401)
    clean = {"client secret": [secret], "access token": [issued.json()["access_token"]]}
    assert_no_secrets(clean, memory_run_texts(caplog.records, client, recorder, host, store))

    with caplog.at_level(logging.DEBUG):
        logger.info("oops %s", planted)
    with pytest.raises(AssertionError, match="in text"):
        assert_no_secrets({"token": [planted]}, memory_run_texts(caplog.records, client, recorder, host, store))
    caplog.clear()
    store.access["planted"] = Leaky(planted)  # type: ignore[assignment]
    with pytest.raises(AssertionError, match="in text"):
        assert_no_secrets({"token": [planted]}, memory_run_texts(caplog.records, client, recorder, host, store))
