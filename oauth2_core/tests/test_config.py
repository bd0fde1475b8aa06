"""ServerConfig: typed defaults, validation, and from_mapping with did-you-mean hints."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from oauth2_core import ConfigurationError, ServerConfig


def test_defaults() -> None:
    config = ServerConfig()
    assert config.grants is None  # everything installed
    assert config.plugins is None
    assert config.access_token_lifetime == 3600
    assert config.refresh_token_lifetime == 30 * 24 * 3600
    assert config.default_scope == frozenset()
    assert config.max_body_bytes == 16 * 1024


def test_from_mapping_converts_collections() -> None:
    config = ServerConfig.from_mapping(
        {
            "grants": ["password", "refresh_token"],
            "plugins": [],
            "default_scope": "read  write",
            "grant_options": {"password": {"x": 1}},
        }
    )
    assert config.grants == ("password", "refresh_token")
    assert config.plugins == ()
    assert config.default_scope == frozenset({"read", "write"})
    assert isinstance(config.grant_options, MappingProxyType)
    assert config.grant_options["password"] == {"x": 1}


def test_default_scope_from_a_collection() -> None:
    assert ServerConfig.from_mapping({"default_scope": ["a", "b"]}).default_scope == frozenset({"a", "b"})


def test_none_keeps_meaning_everything_installed() -> None:
    assert ServerConfig.from_mapping({"grants": None}).grants is None


def test_config_is_frozen_and_hashable_parts_are_immutable() -> None:
    config = ServerConfig.from_mapping({"grant_options": {"password": {}}})
    with pytest.raises(AttributeError):
        config.grants = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.grant_options["new"] = {}  # type: ignore[index]


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("grant", "did you mean 'grants'?"),
        ("access_token_lifetim", "did you mean 'access_token_lifetime'?"),
        ("max_body_size", "did you mean 'max_body_bytes'?"),
        ("defualt_scope", "did you mean 'default_scope'?"),
    ],
)
def test_unknown_key_suggests_the_closest(key: str, hint: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ServerConfig.from_mapping({key: 1})
    assert str(caught.value) == f"unknown setting {key!r}; {hint}"


def test_unknown_key_without_near_match() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ServerConfig.from_mapping({"colour": "blue"})
    assert str(caught.value) == "unknown setting 'colour'"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"access_token_lifetime": 0}, "access_token_lifetime must be a positive"),
        ({"access_token_lifetime": -5}, "access_token_lifetime must be a positive"),
        ({"refresh_token_lifetime": 0}, "refresh_token_lifetime must be positive or None"),
        ({"max_body_bytes": 1023}, "max_body_bytes must be at least 1024"),
    ],
)
def test_invalid_values(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ServerConfig.from_mapping(values)


def test_refresh_tokens_may_live_until_rotated() -> None:
    assert ServerConfig(refresh_token_lifetime=None).refresh_token_lifetime is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"access_token_lifetime": "3600"}, "access_token_lifetime must be an integer number of seconds, not '3600'"),
        ({"access_token_lifetime": 1.5}, "access_token_lifetime must be an integer number of seconds, not 1.5"),
        ({"access_token_lifetime": True}, "access_token_lifetime must be an integer number of seconds, not True"),
        ({"refresh_token_lifetime": "x"}, "refresh_token_lifetime must be an integer number of seconds or None"),
        ({"max_body_bytes": None}, "max_body_bytes must be an integer, not None"),
    ],
)
def test_wrong_types_are_configuration_errors(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ServerConfig.from_mapping(values)
    assert str(caught.value).startswith(message)
