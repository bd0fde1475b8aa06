"""The Grant base: grant_type grammar, scope syntax, declared-parameter checks, scope resolution."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from core_support import EchoGrant, build_world

from oauth2_core import Client, GrantContext, Parameter, ServerConfig
from oauth2_core.errors import InvalidRequest, InvalidScope
from oauth2_core.grant import is_valid_grant_type, parse_scope


@pytest.mark.parametrize(
    "value",
    [
        "password",
        "refresh_token",
        "client_credentials",
        "a",
        "A.b-c_9",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "https://example.com/grants/custom?x=1",
    ],
)
def test_valid_grant_types(value: str) -> None:
    assert is_valid_grant_type(value)


@pytest.mark.parametrize(
    "value", ["", "two words", "pass/word", "name!", "caf\u00e9", "urn:", ":nothing", "1urn:x", "urn:a b", "tab\t"]
)
def test_invalid_grant_types(value: str) -> None:
    assert not is_valid_grant_type(value)


class TestParseScope:
    def test_not_sent(self) -> None:
        assert parse_scope(None) is None

    def test_tokens(self) -> None:
        assert parse_scope("read write read") == frozenset({"read", "write"})
        assert parse_scope("a!#[]~") == frozenset({"a!#[]~"})

    @pytest.mark.parametrize("value", ["", " read", "read ", "read  write", 'say"', "back\\slash", "tab\tx", "\u00e9"])
    def test_bad_syntax_is_invalid_scope(self, value: str) -> None:
        with pytest.raises(InvalidScope):
            parse_scope(value)


class TestReadParameters:
    grant = EchoGrant()

    def test_reads_declared_parameters_only(self) -> None:
        form = {"grant_type": "x", "subject": "bob", "code": "c", "extra": "ignored"}
        assert self.grant.read_parameters(form) == {"subject": "bob", "code": "c"}

    def test_missing_required(self) -> None:
        with pytest.raises(InvalidRequest, match="the code parameter is required"):
            self.grant.read_parameters({"subject": "bob"})

    def test_too_long(self) -> None:
        with pytest.raises(InvalidRequest, match="the code parameter is too long"):
            self.grant.read_parameters({"subject": "bob", "code": "x" * 65})
        assert self.grant.read_parameters({"subject": "bob", "code": "x" * 64})["code"] == "x" * 64

    @pytest.mark.parametrize("character", ["\x00", "\n", "\r", "\x1f", "\x7f"])
    def test_control_characters(self, character: str) -> None:
        with pytest.raises(InvalidRequest, match="the subject parameter contains control characters"):
            self.grant.read_parameters({"subject": f"bo{character}b", "code": "c"})

    def test_secret_parameters(self) -> None:
        assert self.grant.secret_parameters == frozenset({"code"})
        assert Parameter("x").secret is False

    def test_repr_names_grant_type(self) -> None:
        assert repr(self.grant) == "<EchoGrant grant_type='urn:example:echo'>"


class TestResolveScope:
    client = Client("app", True, frozenset(), frozenset({"read", "write"}))

    def context(self, default: str) -> GrantContext:
        world = build_world()
        return GrantContext(
            ServerConfig.from_mapping({"default_scope": default}), world.server.hooks, datetime.now(UTC)
        )

    def test_nothing_requested_gives_default_narrowed_to_client(self) -> None:
        assert self.context("read admin").resolve_scope(None, self.client) == frozenset({"read"})

    def test_subset_is_granted_as_asked(self) -> None:
        assert self.context("read").resolve_scope(frozenset({"write"}), self.client) == frozenset({"write"})

    def test_more_than_the_client_may_have(self) -> None:
        with pytest.raises(InvalidScope):
            self.context("").resolve_scope(frozenset({"read", "admin"}), self.client)
