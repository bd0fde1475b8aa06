"""The one outbound call: replay the client's signed GetCallerIdentity request to STS.

The call is as narrow as we can make it: a URL we chose, only allow-listed
headers, no redirects, no proxies or ``.netrc`` from the environment,
connect and read timeouts plus a deadline for the whole answer, a size cap
enforced while streaming, ``Accept`` pinned, status 200 required and the XML
parsed with entity expansion and DTDs forbidden.

STS refusing the signature is the client's fault (``invalid_grant``); STS
being unreachable, slow, throttling or answering 5xx or nonsense is ours
(``temporarily_unavailable``, HTTP 503), and no token is issued either way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree.ElementTree import Element  # only the type; parsing goes through defusedxml

import requests
import urllib3.exceptions
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import ParseError, fromstring  # type: ignore[import-untyped]

from oauth2_core.errors import InvalidGrant, TemporarilyUnavailable
from oauth2_grant_aws_identity.options import AwsIdentityOptions
from oauth2_grant_aws_identity.regions import StsEndpoint

logger = logging.getLogger("oauth2_grant_aws_identity.sts")

NAMESPACE = "{https://sts.amazonaws.com/doc/2011-06-15/}"
ACCEPT = "text/xml"
#: STS error codes that mean "try again", not "your signature is wrong".
_RETRYABLE_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "ServiceUnavailable"})
_CHUNK = 8192


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    """The three fields of a GetCallerIdentity answer, as STS sent them."""

    arn: str
    account: str
    user_id: str


class _Unavailable(Exception):
    """STS could not give a usable answer; the message is for our log, never for the client."""


def _read_capped(response: requests.Response, options: AwsIdentityOptions) -> bytes:
    limit = options.max_response_bytes
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _Unavailable(f"answer declared {declared} bytes, more than max_response_bytes={limit}")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding != "identity":
        # We asked for identity; a compressed answer could expand far past the cap once decoded.
        raise _Unavailable(f"answer uses Content-Encoding {encoding!r} although identity was asked for")
    deadline = time.monotonic() + options.read_timeout
    body = bytearray()
    for chunk in response.raw.stream(_CHUNK, decode_content=False):
        body += chunk
        if len(body) > limit:
            raise _Unavailable(f"answer exceeded max_response_bytes={limit}")
        if time.monotonic() > deadline:
            raise _Unavailable(f"answer took longer than read_timeout={options.read_timeout}s")
    return bytes(body)


def _parse_xml(body: bytes) -> Element:
    try:
        root: Element = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise _Unavailable(f"answer is not acceptable XML: {type(exc).__name__}") from None
    return root


def _error_code(body: bytes) -> str | None:
    """The ``Code`` of an STS error document, or None when there is none to read."""
    try:
        root = _parse_xml(body)
    except _Unavailable:
        return None
    for element in root.iter():
        if element.tag.rpartition("}")[2] == "Code":
            return (element.text or "").strip()
    return None


def _single_text(result: Element, name: str) -> str:
    found = result.findall(NAMESPACE + name)
    if len(found) != 1 or not (found[0].text or "").strip():
        raise _Unavailable(f"answer does not hold exactly one non-empty {name}")
    return (found[0].text or "").strip()


def parse_caller_identity(body: bytes) -> CallerIdentity:
    """Read Arn, Account and UserId from a GetCallerIdentity answer; raise ``_Unavailable`` on anything else."""
    root = _parse_xml(body)
    if root.tag != NAMESPACE + "GetCallerIdentityResponse":
        raise _Unavailable("answer is not a GetCallerIdentityResponse")
    results = root.findall(NAMESPACE + "GetCallerIdentityResult")
    if len(results) != 1:
        raise _Unavailable("answer does not hold exactly one GetCallerIdentityResult")
    result = results[0]
    return CallerIdentity(
        arn=_single_text(result, "Arn"),
        account=_single_text(result, "Account"),
        user_id=_single_text(result, "UserId"),
    )


def _post(
    endpoint: StsEndpoint, body: str, headers: Sequence[tuple[str, str]], options: AwsIdentityOptions
) -> tuple[int, bytes]:
    sent = {name: value for name, value in headers}
    sent["Accept"] = ACCEPT
    sent["Accept-Encoding"] = "identity"
    with requests.Session() as session:
        # No HTTP(S)_PROXY, no .netrc credentials, no CA bundle from the environment.
        session.trust_env = False
        with session.post(
            endpoint.url,
            data=body.encode("ascii"),
            headers=sent,
            timeout=(options.connect_timeout, options.read_timeout),
            allow_redirects=False,
            stream=True,
        ) as response:
            return response.status_code, _read_capped(response, options)


def get_caller_identity(
    endpoint: StsEndpoint, body: str, headers: Sequence[tuple[str, str]], options: AwsIdentityOptions
) -> CallerIdentity:
    """Send the signed request and return who signed it.

    Raises ``InvalidGrant`` when STS refuses the signature and
    ``TemporarilyUnavailable`` when STS cannot be asked or answers oddly.
    """
    try:
        status, answer = _post(endpoint, body, headers, options)
        if status in (400, 403):
            code = _error_code(answer)
            if code in _RETRYABLE_CODES:
                raise _Unavailable(f"STS answered {status} {code}")
            logger.info("STS refused a signed GetCallerIdentity request: status=%s code=%s", status, code)
            raise InvalidGrant("AWS STS refused the signed request; sign a new request with valid credentials")
        if status != 200:
            raise _Unavailable(f"STS answered status {status}")
        return parse_caller_identity(answer)
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        # The exception text can hold the URL only, never the signed headers; still, log its type alone.
        logger.warning("STS call to %s failed: %s", endpoint.host, type(exc).__name__)
        raise TemporarilyUnavailable("AWS STS could not be reached; try again later") from None
    except _Unavailable as exc:
        logger.warning("STS call to %s gave no usable answer: %s", endpoint.host, exc)
        raise TemporarilyUnavailable("AWS STS gave no usable answer; try again later") from None
