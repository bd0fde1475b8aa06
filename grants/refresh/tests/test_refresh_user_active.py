"""A refresh token stops working for a user the host no longer lets in (``oauth2_refresh_user_active``)."""

from __future__ import annotations

import pytest

from oauth2_core import Client, Server, TokenResponse, hookimpl
from oauth2_core.tokens import IssuedTokens
from oauth2_testing.client import TokenClient
from oauth2_testing.factories import issue_tokens
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.servers import MemoryServerFactory


class AskedHost(MemoryHost):
    """The memory host, remembering whom the refresh grant asked about, and able to answer None."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, str]] = []
        self.undecided: set[str] = set()

    @hookimpl(optionalhook=True)
    def oauth2_refresh_user_active(self, user_id: str, client: Client) -> bool | None:
        self.asked.append((user_id, client.client_id))
        if user_id in self.undecided:
            return None
        return super().oauth2_refresh_user_active(user_id=user_id, client=client)


@pytest.fixture
def oauth2_memory_host() -> AskedHost:
    return AskedHost()


@pytest.fixture
def secret(oauth2_memory_host: AskedHost) -> str:
    value = oauth2_memory_host.add_client("app")
    assert value is not None
    return value


@pytest.fixture
def oauth2_server(oauth2_server_factory: MemoryServerFactory) -> Server:
    return oauth2_server_factory(["refresh_token"])


def refresh(server: Server, tokens: IssuedTokens, secret: str) -> TokenResponse:
    assert tokens.refresh_token is not None
    form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    return TokenClient(server).post(form, basic=("app", secret))


def test_deactivated_user_cannot_refresh_and_the_token_is_left_alone(
    oauth2_server: Server, oauth2_memory_host: AskedHost, oauth2_memory_store: MemoryTokenStore, secret: str
) -> None:
    tokens = issue_tokens(oauth2_server, "app", user_id="7")
    oauth2_memory_host.deactivate_user("7")
    refused = refresh(oauth2_server, tokens, secret)
    assert (refused.status, refused.json()["error"]) == (400, "invalid_grant")
    assert refused.json()["error_description"] == "the refresh token is invalid, expired or revoked"
    assert oauth2_memory_host.asked == [("7", "app")]
    assert tokens.refresh is not None
    stored = oauth2_memory_store.refresh[tokens.refresh.digest]
    assert not stored.consumed and not stored.revoked
    assert len(oauth2_memory_store.access) == 1  # nothing new was minted

    # Let back in: the same token rotates as if nothing had happened.
    oauth2_memory_host.inactive_user_ids.discard("7")
    assert refresh(oauth2_server, tokens, secret).status == 200
    assert oauth2_memory_store.refresh[tokens.refresh.digest].consumed


def test_refusal_looks_like_an_unknown_token(oauth2_server: Server, oauth2_memory_host: AskedHost, secret: str) -> None:
    tokens = issue_tokens(oauth2_server, "app", user_id="7")
    oauth2_memory_host.deactivate_user("7")
    unknown = TokenClient(oauth2_server).post(
        {"grant_type": "refresh_token", "refresh_token": "o2rt_unknown"}, basic=("app", secret)
    )
    assert refresh(oauth2_server, tokens, secret).body == unknown.body


def test_an_undecided_host_refuses(oauth2_server: Server, oauth2_memory_host: AskedHost, secret: str) -> None:
    tokens = issue_tokens(oauth2_server, "app", user_id="8")
    oauth2_memory_host.undecided.add("8")
    assert refresh(oauth2_server, tokens, secret).json()["error"] == "invalid_grant"


def test_active_user_is_asked_about_on_every_refresh(
    oauth2_server: Server, oauth2_memory_host: AskedHost, secret: str
) -> None:
    tokens = issue_tokens(oauth2_server, "app", user_id="9")
    first = refresh(oauth2_server, tokens, secret)
    assert first.status == 200
    second_token = str(first.json()["refresh_token"])
    second = TokenClient(oauth2_server).post(
        {"grant_type": "refresh_token", "refresh_token": second_token}, basic=("app", secret)
    )
    assert second.status == 200
    assert oauth2_memory_host.asked == [("9", "app"), ("9", "app")]


def test_token_issued_to_a_client_alone_skips_the_check(
    oauth2_server: Server, oauth2_memory_host: AskedHost, secret: str
) -> None:
    tokens = issue_tokens(oauth2_server, "app", user_id=None)
    assert refresh(oauth2_server, tokens, secret).status == 200
    assert oauth2_memory_host.asked == []


def test_unknown_or_revoked_tokens_never_reach_the_hook(
    oauth2_server: Server, oauth2_memory_host: AskedHost, secret: str
) -> None:
    tokens = issue_tokens(oauth2_server, "app", user_id="7")
    TokenClient(oauth2_server).post({"grant_type": "refresh_token", "refresh_token": "o2rt_x"}, basic=("app", secret))
    assert oauth2_memory_host.asked == []
    oauth2_server.hooks.revoke_family(tokens.access.family_id)
    assert refresh(oauth2_server, tokens, secret).json()["error"] == "invalid_grant"
    assert oauth2_memory_host.asked == []
