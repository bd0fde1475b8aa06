"""The grant's options: defaults, validation, and the server refusing to start when misconfigured."""

from __future__ import annotations

from typing import Any

import pytest
from aws_support import AwsMemoryHost

from oauth2_core import ConfigurationError, ServerConfig, build_server, hookimpl
from oauth2_grant_aws_identity import AwsIdentityGrant, AwsIdentityOptions, ChallengeAwsIdentityGrant
from oauth2_grant_aws_identity.regions import partition_of
from oauth2_testing.memory import MemoryHost, MemoryTokenStore

SERVER_ID = "https://auth.example.test"


def options(**values: Any) -> AwsIdentityOptions:
    return AwsIdentityOptions.from_mapping({"server_id": SERVER_ID, **values})


def test_defaults() -> None:
    defaults = options()
    assert defaults.server_id_header == "X-OAuth2-Server-ID"
    assert defaults.require_server_id is True
    assert defaults.max_clock_skew == 300
    assert defaults.allowed_regions is None and defaults.sts_endpoint is None
    assert defaults.challenge is False
    assert defaults.deployment_warnings() == []


def test_server_id_is_required_by_default() -> None:
    with pytest.raises(ConfigurationError, match="server_id is required"):
        AwsIdentityOptions.from_mapping({})


def test_legacy_switch_works_without_server_id_and_warns() -> None:
    legacy = AwsIdentityOptions.from_mapping({"require_server_id": False})
    [warning] = legacy.deployment_warnings()
    assert "require_server_id is False" in warning


def test_test_endpoint_warns() -> None:
    assert "sts_endpoint" in options(sts_endpoint="http://127.0.0.1:9/").deployment_warnings()[0]


@pytest.mark.parametrize(
    "key, hint",
    [("server_ids", "server_id"), ("max_clock_skw", "max_clock_skew"), ("allowed_region", "allowed_regions")],
)
def test_unknown_option_suggests_the_right_one(key: str, hint: str) -> None:
    with pytest.raises(ConfigurationError, match=f"unknown option '{key}'; did you mean '{hint}'"):
        options(**{key: 1})


def test_unknown_option_without_a_near_match_lists_the_options() -> None:
    with pytest.raises(ConfigurationError, match=r"known options: .*server_id"):
        options(zzz=1)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"server_id": " padded"}, "server_id"),
        ({"server_id": "two  spaces"}, "server_id"),
        ({"server_id": "line\nbreak"}, "server_id"),
        ({"server_id": "x" * 300}, "server_id"),
        ({"server_id": 5}, "server_id"),
        ({"server_id_header": "Bad Header"}, "server_id_header"),
        ({"server_id_header": "Authorization"}, "server_id_header"),
        ({"server_id_header": "host"}, "server_id_header"),
        ({"challenge_header": "X-OAuth2-Server-ID"}, "different"),
        ({"require_server_id": "yes"}, "require_server_id"),
        ({"challenge": 1}, "challenge"),
        ({"allowed_regions": "us-east-1"}, "not a single string"),
        ({"allowed_regions": []}, "at least one"),
        ({"allowed_regions": ["us-east-1", "evil.example"]}, "region names"),
        ({"sts_endpoint": "ftp://127.0.0.1/"}, "http"),
        ({"sts_endpoint": "http://127.0.0.1:9/path"}, "no path"),
        ({"sts_endpoint": "http://127.0.0.1:9/?q=1"}, "no path"),
        ({"sts_endpoint": "http://user:pw@127.0.0.1:9/"}, "user name"),
        ({"sts_endpoint": "http://127.0.0.1:99999/"}, "port"),
        ({"sts_endpoint": "http:///"}, "host"),
        ({"max_clock_skew": 0}, "max_clock_skew"),
        ({"max_clock_skew": 901}, "max_clock_skew"),
        ({"max_clock_skew": 1.5}, "max_clock_skew"),
        ({"max_clock_skew": True}, "max_clock_skew"),
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"read_timeout": -1}, "read_timeout"),
        ({"read_timeout": "10"}, "read_timeout"),
        ({"max_response_bytes": 100}, "max_response_bytes"),
        ({"challenge_ttl": 0}, "challenge_ttl"),
    ],
)
def test_bad_values_are_configuration_errors(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        options(**values)


def test_options_that_are_not_a_mapping() -> None:
    with pytest.raises(ConfigurationError, match="mapping"):
        AwsIdentityOptions.from_mapping(["server_id"])  # type: ignore[arg-type]


def test_allowed_regions_accepts_any_iterable() -> None:
    assert options(allowed_regions=("eu-west-1", "cn-north-1")).allowed_regions == frozenset(
        {"eu-west-1", "cn-north-1"}
    )


@pytest.mark.parametrize(
    "region, partition",
    [
        ("us-east-1", "aws"),
        ("eu-central-2", "aws"),
        ("ap-southeast-5", "aws"),
        ("il-central-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", None),
        ("us-east-01", None),
        ("us-east-1a", None),
        ("local", None),
    ],
)
def test_region_partitions(region: str, partition: str | None) -> None:
    assert partition_of(region) == partition


@pytest.mark.parametrize(
    "region, url",
    [
        ("us-east-1", "https://sts.us-east-1.amazonaws.com/"),
        ("cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn/"),
        ("us-gov-east-1", "https://sts.us-gov-east-1.amazonaws.com/"),
    ],
)
def test_sts_url_comes_from_the_partition_template(region: str, url: str) -> None:
    endpoint = options().endpoint(region)
    assert endpoint.url == url
    assert endpoint.host == url.removeprefix("https://").rstrip("/")


@pytest.mark.parametrize(
    "configured, host",
    [
        ("http://127.0.0.1:5000", "127.0.0.1:5000"),
        ("http://LOCALHOST:5000/", "localhost:5000"),
        ("http://127.0.0.1:80/", "127.0.0.1"),
        ("https://sts.internal.test:443/", "sts.internal.test"),
        ("http://[::1]:5000/", "[::1]:5000"),
    ],
)
def test_configured_endpoint_host_is_what_requests_sends(configured: str, host: str) -> None:
    endpoint = options(sts_endpoint=configured).endpoint("eu-west-1")
    assert endpoint.host == host and endpoint.partition is None


def _config(grant_options: dict[str, Any]) -> ServerConfig:
    return ServerConfig.from_mapping({"grants": ["aws_identity"], "grant_options": {"aws_identity": grant_options}})


class BindOnly:
    """Implements only one of the two required hooks."""

    @hookimpl(optionalhook=True)
    def oauth2_aws_identity_bind(self, identity: object) -> None:
        return None


def test_server_refuses_to_start_without_server_id() -> None:
    with pytest.raises(ConfigurationError, match="server_id is required"):
        build_server(_config({}), [MemoryHost(), MemoryTokenStore()])


def test_server_refuses_to_start_without_the_host_hooks() -> None:
    with pytest.raises(ConfigurationError, match="oauth2_aws_identity_remember"):
        build_server(_config({"server_id": SERVER_ID}), [MemoryHost(), MemoryTokenStore(), BindOnly()])


def test_challenge_mode_needs_the_nonce_hooks() -> None:
    class WithoutNonces(AwsMemoryHost):
        oauth2_aws_identity_store_nonce = None  # type: ignore[assignment]
        oauth2_aws_identity_consume_nonce = None  # type: ignore[assignment]

    host = MemoryHost()
    plugins = [host, MemoryTokenStore(), WithoutNonces(host, lambda: None)]  # type: ignore[arg-type, return-value]
    with pytest.raises(ConfigurationError, match="oauth2_aws_identity_store_nonce"):
        build_server(_config({"server_id": SERVER_ID, "challenge": True}), plugins)


def test_challenge_option_picks_the_challenge_grant() -> None:
    assert type(AwsIdentityGrant.from_options(options())) is AwsIdentityGrant
    assert type(AwsIdentityGrant.from_options(options(challenge=True))) is ChallengeAwsIdentityGrant
    with pytest.raises(ConfigurationError, match="from_options"):
        AwsIdentityGrant(options(challenge=True))
