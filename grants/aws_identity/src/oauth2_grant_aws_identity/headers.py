"""Checking ``headers_json``: the headers of the client's signed GetCallerIdentity request.

The client signed a request for STS; we re-send it. Everything the client
controls is checked here, without any I/O: the JSON shape and size, header
names (unique regardless of case) and values, the ``Host`` the request was
signed for, the SigV4 credential scope and signed-header list, the
server-ID and challenge headers, and which headers are forwarded at all.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oauth2_core.errors import InvalidRequest
from oauth2_grant_aws_identity.options import HEADER_NAME, AwsIdentityOptions
from oauth2_grant_aws_identity.regions import StsEndpoint
from oauth2_grant_aws_identity.sigv4 import SERVICE, SignedAuthorization, parse_amz_date, parse_authorization

MAX_HEADERS = 16
MAX_HEADER_VALUE_LENGTH = 4096
# Visible ASCII with inner spaces or tabs: no CR, LF or other control character can reach the wire.
_HEADER_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?")
_SECURITY_TOKEN = re.compile(r"[A-Za-z0-9+/=]{16,4096}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,128}")
_FORM_CONTENT_TYPE = re.compile(r"application/x-www-form-urlencoded(?:; ?charset=utf-8)?", re.IGNORECASE)

DEFAULT_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"

#: Headers forwarded to STS whatever the options, under the names we send them with.
_FORWARDED = {
    "authorization": "Authorization",
    "x-amz-date": "X-Amz-Date",
    "x-amz-security-token": "X-Amz-Security-Token",
    "x-amz-content-sha256": "X-Amz-Content-Sha256",
    "content-type": "Content-Type",
}


@dataclass(frozen=True, slots=True)
class CheckedHeaders:
    """What the grant needs from a valid ``headers_json``.

    ``forwarded`` are the only headers sent to STS; ``Host`` is not among
    them because the HTTP client derives it from the URL, which we chose.
    """

    forwarded: tuple[tuple[str, str], ...] = field(repr=False)
    authorization: SignedAuthorization
    signed_at: datetime
    challenge: str | None = field(default=None, repr=False)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise InvalidRequest("headers_json names a header more than once")
    return dict(pairs)


def _reject_constant(_: str) -> None:
    raise InvalidRequest("headers_json must be a JSON object of header names to string values")


def decode_headers(raw: str) -> dict[str, str]:
    """``headers_json`` as a dict of header name to value, names unique regardless of case."""
    try:
        decoded = json.loads(raw, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise InvalidRequest("headers_json must be a JSON object of header names to string values") from None
    if not isinstance(decoded, dict) or not all(isinstance(value, str) for value in decoded.values()):
        raise InvalidRequest("headers_json must be a JSON object of header names to string values")
    if len(decoded) > MAX_HEADERS:
        raise InvalidRequest(f"headers_json may hold at most {MAX_HEADERS} headers")
    for name, value in decoded.items():
        if not HEADER_NAME.fullmatch(name):
            raise InvalidRequest("headers_json holds a header name that is not an HTTP token")
        if len(value) > MAX_HEADER_VALUE_LENGTH or not _HEADER_VALUE.fullmatch(value):
            raise InvalidRequest("headers_json holds an empty, overlong or non-printable header value")
    if len({name.lower() for name in decoded}) != len(decoded):
        raise InvalidRequest("headers_json names a header more than once (header names ignore case)")
    return decoded


def forwardable_names(options: AwsIdentityOptions) -> dict[str, str]:
    """Lower-case name -> name sent, for every header the grant may forward under ``options``."""
    names = dict(_FORWARDED)
    names[options.server_id_header.lower()] = options.server_id_header
    if options.challenge:
        names[options.challenge_header.lower()] = options.challenge_header
    return names


def check_headers(
    raw: str, *, region: str, endpoint: StsEndpoint, post_body: str, options: AwsIdentityOptions
) -> CheckedHeaders:
    """Check ``headers_json`` against the request we are about to make; raise ``InvalidRequest``."""
    headers = {name.lower(): value for name, value in decode_headers(raw).items()}

    host = headers.get("host")
    if host is not None and host.lower() != endpoint.host:
        raise InvalidRequest("the Host header does not match the STS endpoint for this region; sign for that host")

    if "authorization" not in headers or "x-amz-date" not in headers:
        raise InvalidRequest("headers_json must carry the SigV4 Authorization and X-Amz-Date headers")
    authorization = parse_authorization(headers["authorization"])
    if authorization.region != region:
        raise InvalidRequest("the SigV4 credential scope names another region than the region parameter")
    if authorization.service != SERVICE:
        raise InvalidRequest("the SigV4 credential scope must be for service sts")
    signed_at = parse_amz_date(headers["x-amz-date"])
    if signed_at.strftime("%Y%m%d") != authorization.scope_date:
        raise InvalidRequest("the SigV4 credential scope date does not match X-Amz-Date")

    signed = set(authorization.signed_headers)
    if not {"host", "x-amz-date"} <= signed:
        raise InvalidRequest("SignedHeaders must include host and x-amz-date")
    if "authorization" in signed:
        raise InvalidRequest("SignedHeaders may not include authorization")
    allowed = forwardable_names(options)
    for name in signed - {"host"}:
        if name not in allowed:
            raise InvalidRequest("a signed header is not one this server forwards to STS; sign only the SigV4 headers")
        if name not in headers:
            raise InvalidRequest("a header listed in SignedHeaders is missing from headers_json")

    server_id_name = options.server_id_header.lower()
    if server_id_name in headers or options.require_server_id:
        if server_id_name not in signed:
            raise InvalidRequest(f"the {options.server_id_header} header must be sent and listed in SignedHeaders")
        if options.server_id is not None and headers[server_id_name] != options.server_id:
            raise InvalidRequest(f"the {options.server_id_header} header does not name this server")

    challenge: str | None = None
    if options.challenge:
        challenge_name = options.challenge_header.lower()
        if challenge_name not in signed:
            raise InvalidRequest(f"the {options.challenge_header} header must be sent and listed in SignedHeaders")
        challenge = headers[challenge_name]
        if not _NONCE.fullmatch(challenge):
            raise InvalidRequest(f"the {options.challenge_header} header does not hold a nonce this server issued")

    content_type = headers.get("content-type")
    if content_type is not None and not _FORM_CONTENT_TYPE.fullmatch(content_type):
        raise InvalidRequest("Content-Type must be application/x-www-form-urlencoded")
    body_hash = headers.get("x-amz-content-sha256")
    if body_hash is not None and body_hash != hashlib.sha256(post_body.encode("ascii")).hexdigest():
        raise InvalidRequest("X-Amz-Content-Sha256 does not match post_body")
    token = headers.get("x-amz-security-token")
    if token is not None and not _SECURITY_TOKEN.fullmatch(token):
        raise InvalidRequest("X-Amz-Security-Token is malformed")

    forwarded = [(allowed[name], value) for name, value in sorted(headers.items()) if name in allowed]
    if content_type is None:
        forwarded.append(("Content-Type", DEFAULT_CONTENT_TYPE))
    return CheckedHeaders(tuple(forwarded), authorization, signed_at, challenge)
