"""The grant's options, read from ``config.grant_options["aws_identity"]``, typed and checked once.

Every default lives here. Unknown keys are refused with a "did you mean"
hint, so a misspelt security option cannot silently fall back to a default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from oauth2_core.config import refuse_unknown_keys
from oauth2_core.errors import ConfigurationError
from oauth2_grant_aws_identity.regions import StsEndpoint, configured_endpoint, is_region, templated_endpoint

#: RFC 9110 token: what an HTTP header name may be.
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")
#: Header values we compare byte for byte: visible ASCII, single inner spaces.
#: SigV4 canonicalisation trims and collapses spaces, so a value with runs of
#: spaces or surrounding blanks would verify at STS yet differ from ours.
_HEADER_VALUE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")

#: Headers the grant forwards to STS by itself; the server-ID and challenge headers may not reuse these names.
RESERVED_HEADERS = frozenset(
    {"host", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "content-type"}
)

OPTIONS_KEY = "aws_identity"


def _ensure(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigurationError(f"grant_options[{OPTIONS_KEY!r}]: {message}")


def _positive_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class AwsIdentityOptions:
    """How the aws_identity grant checks requests and calls STS."""

    #: The value clients must sign in ``server_id_header``, e.g. this server's issuer URL.
    #: It binds a signed request to this server, so one captured by another
    #: service that also accepts AWS identities cannot be replayed here.
    server_id: str | None = None
    server_id_header: str = "X-OAuth2-Server-ID"
    #: False accepts requests without the server-ID header (legacy clients); a deployment check warns about it.
    require_server_id: bool = True
    #: Regions clients may name; None allows every region of the three partitions.
    allowed_regions: frozenset[str] | None = None
    #: Send every request to this endpoint instead of the public STS (a local verifier in tests).
    sts_endpoint: str | None = None
    #: How far X-Amz-Date may be from our clock, in seconds, either way.
    max_clock_skew: int = 300
    connect_timeout: float = 3.0
    #: Limit for each read and for the whole STS answer, in seconds.
    read_timeout: float = 10.0
    #: Largest STS answer read; longer answers are cut off and refused.
    max_response_bytes: int = 64 * 1024
    #: Challenge mode: clients fetch a one-time nonce first and sign it in ``challenge_header``.
    challenge: bool = False
    challenge_header: str = "X-OAuth2-Challenge"
    #: How long an issued nonce stays usable, in seconds.
    challenge_ttl: int = 120

    def __post_init__(self) -> None:
        if self.server_id is not None:
            _ensure(
                isinstance(self.server_id, str)
                and len(self.server_id) <= 256
                and bool(_HEADER_VALUE.fullmatch(self.server_id)),
                "server_id must be printable ASCII of at most 256 characters, without leading, trailing or "
                "repeated spaces (it travels in an HTTP header)",
            )
        _ensure(
            self.server_id is not None or not self.require_server_id,
            "server_id is required: set it to a value unique to this server, such as its issuer URL, and have "
            "clients sign it; only for legacy clients, set require_server_id to False instead",
        )
        _ensure(isinstance(self.require_server_id, bool), "require_server_id must be True or False")
        _ensure(isinstance(self.challenge, bool), "challenge must be True or False")
        for option in ("server_id_header", "challenge_header"):
            name = getattr(self, option)
            _ensure(
                isinstance(name, str) and bool(HEADER_NAME.fullmatch(name)), f"{option} must be an HTTP header name"
            )
            _ensure(name.lower() not in RESERVED_HEADERS, f"{option} may not be one of the SigV4 or HTTP headers")
        _ensure(
            self.server_id_header.lower() != self.challenge_header.lower(),
            "server_id_header and challenge_header must be different headers",
        )
        if self.allowed_regions is not None:
            _ensure(bool(self.allowed_regions), "allowed_regions must name at least one region, or be None")
            for region in self.allowed_regions:
                _ensure(
                    isinstance(region, str) and is_region(region),
                    "allowed_regions must hold AWS region names such as 'us-east-1' (aws, aws-cn or aws-us-gov)",
                )
        if self.sts_endpoint is not None:
            _ensure(isinstance(self.sts_endpoint, str), "sts_endpoint must be a URL string or None")
            configured_endpoint(self.sts_endpoint)
        _ensure(
            _integer(self.max_clock_skew) and 1 <= self.max_clock_skew <= 900,
            "max_clock_skew must be a whole number of seconds from 1 to 900 (STS itself allows 15 minutes)",
        )
        for option in ("connect_timeout", "read_timeout"):
            _ensure(_positive_number(getattr(self, option)), f"{option} must be a positive number of seconds")
        _ensure(
            _integer(self.max_response_bytes) and self.max_response_bytes >= 1024,
            "max_response_bytes must be a whole number of at least 1024",
        )
        _ensure(
            _integer(self.challenge_ttl) and 1 <= self.challenge_ttl <= 3600,
            "challenge_ttl must be a whole number of seconds from 1 to 3600",
        )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> AwsIdentityOptions:
        """Build from the settings mapping, refusing unknown keys with a suggestion."""
        _ensure(isinstance(values, Mapping), "must be a mapping of option names to values")
        known = (field.name for field in fields(cls))
        refuse_unknown_keys(values, known, noun="option", where=f"grant_options[{OPTIONS_KEY!r}]: ", list_known=True)
        converted = dict(values)
        regions = converted.get("allowed_regions")
        if regions is not None:
            _ensure(
                isinstance(regions, Iterable) and not isinstance(regions, str | bytes),
                "allowed_regions must be a list of region names, not a single string",
            )
            converted["allowed_regions"] = frozenset(regions)
        return cls(**converted)

    def endpoint(self, region: str) -> StsEndpoint:
        """The STS endpoint a request for ``region`` is sent to."""
        if self.sts_endpoint is not None:
            return configured_endpoint(self.sts_endpoint)
        return templated_endpoint(region)

    def region_allowed(self, region: str) -> bool:
        return is_region(region) and (self.allowed_regions is None or region in self.allowed_regions)

    def deployment_warnings(self) -> list[str]:
        """Settings that are fine in development but weaken production; for a deployment check to report."""
        warnings = []
        if not self.require_server_id:
            warnings.append(
                "require_server_id is False: signed requests are not bound to this server, so a request captured "
                "by another service that accepts AWS identities can be replayed here; update clients to sign "
                f"{self.server_id_header} and remove the setting"
            )
        if self.sts_endpoint is not None:
            warnings.append(
                "sts_endpoint is set: identities are checked by that endpoint instead of AWS STS; use it for tests only"
            )
        return warnings
