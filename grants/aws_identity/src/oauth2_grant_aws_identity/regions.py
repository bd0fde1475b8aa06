"""AWS regions, their partitions and the STS endpoint we call for each.

The URL we send a signed request to is never built from client text: the
region must match the region grammar of one of the three supported
partitions, and the URL comes from that partition's fixed template (or from
an endpoint the operator configured, for tests). A region such as
``us-east-1.evil.example`` or ``evil.example#`` therefore cannot steer the
call to another host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from oauth2_core.errors import ConfigurationError

#: Partition -> (region grammar, STS URL template). The ISO partitions are left
#: out on purpose: their endpoints are not reachable from the public internet.
_PARTITIONS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("aws-us-gov", re.compile(r"us-gov-[a-z]{1,16}-[1-9][0-9]?"), "https://sts.{region}.amazonaws.com/"),
    ("aws-cn", re.compile(r"cn-[a-z]{1,16}-[1-9][0-9]?"), "https://sts.{region}.amazonaws.com.cn/"),
    ("aws", re.compile(r"(?!cn-)[a-z]{2}-[a-z]{1,16}-[1-9][0-9]?"), "https://sts.{region}.amazonaws.com/"),
)

PARTITIONS = frozenset(name for name, _, _ in _PARTITIONS)

#: Longest region name the grammar can produce, with room to spare; the wire parameter's limit.
MAX_REGION_LENGTH = 32


def partition_of(region: str) -> str | None:
    """The partition whose region grammar ``region`` matches, or None when it is not an AWS region name."""
    if len(region) > MAX_REGION_LENGTH:
        return None
    for name, grammar, _ in _PARTITIONS:
        if grammar.fullmatch(region):
            return name
    return None


def is_region(region: str) -> bool:
    return partition_of(region) is not None


@dataclass(frozen=True, slots=True)
class StsEndpoint:
    """Where a GetCallerIdentity request for one region goes.

    ``host`` is what the HTTP ``Host`` header will be, so it is what the
    client must have signed. ``partition`` is None for a configured endpoint,
    whose answers may come from any partition.
    """

    url: str
    host: str
    partition: str | None


def templated_endpoint(region: str) -> StsEndpoint:
    """The public STS endpoint of ``region``; the region must already be known to be valid."""
    for name, grammar, template in _PARTITIONS:
        if grammar.fullmatch(region):
            url = template.format(region=region)
            return StsEndpoint(url=url, host=urlsplit(url).netloc, partition=name)
    raise ValueError("not an AWS region name")  # callers check the grammar first


def configured_endpoint(url: str) -> StsEndpoint:
    """An operator-configured STS endpoint (a local verifier in tests), checked for shape.

    Only scheme, host and port are allowed: no credentials, path, query or
    fragment, so the request line and ``Host`` header are predictable.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError("sts_endpoint must be an http:// or https:// URL, e.g. 'http://127.0.0.1:5000/'")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError("sts_endpoint has an invalid port number") from None
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise ConfigurationError("sts_endpoint must name a host and carry no user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ConfigurationError("sts_endpoint must be scheme://host[:port]/ with no path, query or fragment")
    host = parts.netloc.lower()
    if port is not None and port == {"http": 80, "https": 443}[parts.scheme]:
        # requests leaves a default port out of the Host header, so the client must not sign it either.
        host = host.rsplit(":", 1)[0]
    return StsEndpoint(url=f"{parts.scheme}://{parts.netloc.lower()}/", host=host, partition=None)
