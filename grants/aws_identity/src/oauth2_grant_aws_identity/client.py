"""The client side: sign a GetCallerIdentity request and trade it for a token.

Signing uses the ``aws-v4-signature`` package (``awsv4sign``). That package
calls ``sys.exit`` on a URL it cannot read and trusts its inputs, so every
input is checked here first and the URL handed to it is one we build from a
checked host. The server-ID header (and, in challenge mode, the nonce
header) is signed with the rest, which binds the request to one server.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import awsv4sign  # type: ignore[import-untyped]
import requests

from oauth2_core.errors import ConfigurationError
from oauth2_grant_aws_identity.grant import GRANT_TYPE, POST_BODY
from oauth2_grant_aws_identity.headers import DEFAULT_CONTENT_TYPE
from oauth2_grant_aws_identity.options import HEADER_NAME
from oauth2_grant_aws_identity.regions import configured_endpoint, is_region, templated_endpoint
from oauth2_grant_aws_identity.sigv4 import SERVICE

_ACCESS_KEY_ID = re.compile(r"[A-Z0-9]{16,128}")
_SECRET = re.compile(r"[\x21-\x7e]{1,256}")
_SESSION_TOKEN = re.compile(r"[A-Za-z0-9+/=]{16,4096}")
_HEADER_VALUE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")


class ClientError(Exception):
    """A bad input or a failed exchange, described without any secret."""


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    """AWS credentials to sign with; the secret parts stay out of ``repr``."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not _ACCESS_KEY_ID.fullmatch(self.access_key_id):
            raise ClientError("the AWS access key id must be 16 to 128 upper-case letters and digits")
        if not _SECRET.fullmatch(self.secret_access_key):
            raise ClientError("the AWS secret access key must be printable ASCII without spaces")
        if self.session_token is not None and not _SESSION_TOKEN.fullmatch(self.session_token):
            raise ClientError("the AWS session token is malformed")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> AwsCredentials:
        """Credentials from ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``."""
        env = os.environ if environ is None else environ
        access_key_id = env.get("AWS_ACCESS_KEY_ID", "")
        secret = env.get("AWS_SECRET_ACCESS_KEY", "")
        if not access_key_id or not secret:
            raise ClientError("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN if temporary)")
        return cls(access_key_id, secret, env.get("AWS_SESSION_TOKEN") or None)


def _check_header(name: str, value: str, what: str) -> None:
    if not HEADER_NAME.fullmatch(name):
        raise ClientError(f"the {what} header name must be an HTTP token")
    if len(value) > 256 or not _HEADER_VALUE.fullmatch(value):
        raise ClientError(f"the {what} must be printable ASCII without leading, trailing or repeated spaces")


def build_token_parameters(
    credentials: AwsCredentials,
    *,
    region: str,
    server_id: str | None,
    server_id_header: str = "X-OAuth2-Server-ID",
    sts_endpoint: str | None = None,
    challenge: str | None = None,
    challenge_header: str = "X-OAuth2-Challenge",
    scope: str | None = None,
) -> dict[str, str]:
    """The token request form: ``grant_type``, ``region``, ``post_body``, ``headers_json`` (and ``scope``).

    ``sts_endpoint`` must match the server's ``sts_endpoint`` option (tests
    only); otherwise the request is signed for the region's public STS host.
    """
    if not is_region(region):
        raise ClientError("region must be an AWS region name such as us-east-1")
    try:
        endpoint = configured_endpoint(sts_endpoint) if sts_endpoint is not None else templated_endpoint(region)
    except ConfigurationError as exc:
        raise ClientError(str(exc)) from None
    signed: dict[str, str] = {"Content-Type": DEFAULT_CONTENT_TYPE}
    if server_id is not None:
        _check_header(server_id_header, server_id, "server id")
        signed[server_id_header] = server_id
    if challenge is not None:
        _check_header(challenge_header, challenge, "challenge nonce")
        signed[challenge_header] = challenge
    if credentials.session_token is not None:
        signed["X-Amz-Security-Token"] = credentials.session_token
    with warnings.catch_warnings():
        # awsv4sign reads the time with datetime.utcnow(), deprecated since Python 3.12.
        warnings.simplefilter("ignore", DeprecationWarning)
        # The scheme only satisfies awsv4sign's URL check: the signature covers the host and path.
        headers: dict[str, Any] = awsv4sign.generate_http11_header(
            service=SERVICE,
            region=region,
            access_key=credentials.access_key_id,
            secret_key=credentials.secret_access_key,
            url=f"https://{endpoint.host}/",
            httpMethod="POST",
            canonicalHeaders=signed,
            otherHeaders={},
            payload=POST_BODY,
        )
    headers["Host"] = endpoint.host
    form = {
        "grant_type": GRANT_TYPE,
        "region": region,
        "post_body": POST_BODY,
        "headers_json": json.dumps(headers, separators=(",", ":")),
    }
    if scope is not None:
        form["scope"] = scope
    return form


def _check_url(url: str, what: str) -> None:
    """HTTPS, or plain HTTP to a loopback address only: the signed request must not cross a network in clear."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host:
        if host == "localhost":
            return
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
    raise ClientError(f"the {what} must be an https:// URL (plain http only to a loopback address)")


def _post_json(url: str, data: Mapping[str, str] | None, timeout: float) -> tuple[int, dict[str, Any]]:
    try:
        response = requests.post(url, data=data, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise ClientError(f"could not reach {urlsplit(url).netloc}: {type(exc).__name__}") from None
    try:
        body = response.json()
    except ValueError:
        raise ClientError(f"{urlsplit(url).netloc} answered status {response.status_code} without JSON") from None
    if not isinstance(body, dict):
        raise ClientError(f"{urlsplit(url).netloc} answered JSON that is not an object")
    return response.status_code, body


def fetch_challenge(challenge_url: str, *, timeout: float = 10.0) -> tuple[str, str]:
    """Ask the server for a one-time nonce; return (nonce, header to sign it in)."""
    _check_url(challenge_url, "challenge URL")
    status, body = _post_json(challenge_url, None, timeout)
    nonce, header = body.get("nonce"), body.get("header")
    if status != 200 or not isinstance(nonce, str) or not isinstance(header, str):
        raise ClientError(f"the challenge request failed: status {status}, error {body.get('error')!r}")
    return nonce, header


def request_token(token_url: str, form: Mapping[str, str], *, timeout: float = 30.0) -> tuple[int, dict[str, Any]]:
    """POST the form to the token endpoint; return its status and JSON answer (token or error)."""
    _check_url(token_url, "token URL")
    return _post_json(token_url, form, timeout)
