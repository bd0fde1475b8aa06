"""Reading (not verifying) a SigV4 ``Authorization`` header and its ``X-Amz-Date``.

We cannot verify the signature ourselves (we do not hold the secret key);
STS does. What we can and must check is what the signature covers: the
credential scope (date, region, service), which headers were signed, and
the timestamp. A request signed for another region, another service or
without our server-ID header is refused here, before anything is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from oauth2_core.errors import InvalidRequest

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "sts"
TERMINATOR = "aws4_request"

_ACCESS_KEY_ID = re.compile(r"[A-Z0-9]{16,128}")
_DATE = re.compile(r"[0-9]{8}")
_AMZ_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_LOWER_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]{1,64}")
_MAX_SIGNED_HEADERS = 16


@dataclass(frozen=True, slots=True)
class SignedAuthorization:
    """The parts of a SigV4 ``Authorization`` header, shape-checked."""

    access_key_id: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str = field(repr=False)


def parse_authorization(value: str) -> SignedAuthorization:
    """Split ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``; raise ``InvalidRequest``."""
    algorithm, space, rest = value.partition(" ")
    if algorithm != ALGORITHM or not space:
        raise InvalidRequest(f"the Authorization header must use {ALGORITHM} (SigV4)")
    components: dict[str, str] = {}
    for component in rest.split(","):
        key, equals, component_value = component.strip().partition("=")
        if not equals or key in components or key not in ("Credential", "SignedHeaders", "Signature"):
            raise InvalidRequest("the Authorization header must hold Credential, SignedHeaders and Signature once each")
        components[key] = component_value
    if len(components) != 3:
        raise InvalidRequest("the Authorization header must hold Credential, SignedHeaders and Signature once each")
    credential = components["Credential"].split("/")
    if len(credential) != 5:
        raise InvalidRequest("the SigV4 credential must be access-key-id/date/region/service/aws4_request")
    access_key_id, scope_date, region, service, terminator = credential
    if not _ACCESS_KEY_ID.fullmatch(access_key_id) or not _DATE.fullmatch(scope_date) or terminator != TERMINATOR:
        raise InvalidRequest("the SigV4 credential must be access-key-id/date/region/service/aws4_request")
    signed = components["SignedHeaders"].split(";")
    if (
        len(signed) > _MAX_SIGNED_HEADERS
        or not all(_LOWER_TOKEN.fullmatch(name) for name in signed)
        or signed != sorted(set(signed))
    ):
        raise InvalidRequest("SignedHeaders must list distinct lower-case header names in sorted order")
    if not _SIGNATURE.fullmatch(components["Signature"]):
        raise InvalidRequest("the SigV4 signature must be 64 lower-case hexadecimal digits")
    return SignedAuthorization(access_key_id, scope_date, region, service, tuple(signed), components["Signature"])


def parse_amz_date(value: str) -> datetime:
    """An ``X-Amz-Date`` value (``YYYYMMDD'T'HHMMSS'Z'``) as an aware UTC datetime; raise ``InvalidRequest``."""
    if not _AMZ_DATE.fullmatch(value):
        raise InvalidRequest("X-Amz-Date must be a UTC time in the form YYYYMMDDTHHMMSSZ")
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidRequest("X-Amz-Date must be a UTC time in the form YYYYMMDDTHHMMSSZ") from None
