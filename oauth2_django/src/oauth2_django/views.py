"""The token endpoint (and the aws_identity challenge endpoint): Django request in, JSON response out.

Every answer is JSON, errors included: a refused request, an oversized body,
plain HTTP when HTTPS is required, a database outage (503 with
``Retry-After``) and even an unexpected failure (500) never produce an HTML page.
"""

from __future__ import annotations

import ipaddress
import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from oauth2_core import OAuth2Error, TokenRequest, TokenResponse, handle_token_request
from oauth2_core.endpoint import error_response
from oauth2_core.errors import InvalidRequest, TemporarilyUnavailable
from oauth2_django import conf
from oauth2_django.server import get_server, secret_parameters

logger = logging.getLogger("oauth2_django")

HTTPS_REQUIRED = InvalidRequest("the token endpoint must be called over HTTPS")
CHALLENGE_HTTPS_REQUIRED = InvalidRequest("the challenge endpoint must be called over HTTPS")
TOO_LARGE = InvalidRequest("the request body is too large", status=413)
BAD_LENGTH = InvalidRequest("the Content-Length header is not a number")


def _to_django(answer: TokenResponse) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, headers=dict(answer.headers))


def _server_error() -> HttpResponse:
    body = {"error": "server_error", "error_description": "the server failed; try again later"}
    return HttpResponse(json.dumps(body), status=500, content_type="application/json")


def _read_body(request: HttpRequest, max_bytes: int) -> bytes:
    """The body, refused before reading when its declared length is over the limit."""
    if request.method != "POST":
        return b""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BAD_LENGTH from None
    if declared > max_bytes:
        raise TOO_LARGE
    try:
        return request.body
    except RequestDataTooBig:
        raise TOO_LARGE from None


def client_ip(request: HttpRequest, header: str | None) -> str | None:
    """The caller's address: from the trusted proxy's header when one is configured, else REMOTE_ADDR."""
    if header is not None:
        # A proxy appends the address it saw, so the last entry is the one our own proxy wrote;
        # anything that is not an address is ignored rather than logged or counted.
        candidate = str(request.META.get(header, "")).rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    remote: str | None = request.META.get("REMOTE_ADDR")
    return remote


def _answer(request: HttpRequest) -> TokenResponse:
    # What the sensitive_post_parameters decorator sets, from the enabled grants
    # (settings choose them; cached with the server). Everything is hidden until
    # the server is known.
    request.sensitive_post_parameters = "__ALL__"  # type: ignore[attr-defined]
    settings = conf.get_settings()
    server = get_server()
    request.sensitive_post_parameters = secret_parameters()  # type: ignore[attr-defined]
    try:
        if settings.require_https and not request.is_secure():
            raise HTTPS_REQUIRED
        body = _read_body(request, settings.server.max_body_bytes)
    except OAuth2Error as error:
        return error_response(error)
    token_request = TokenRequest(
        method=request.method or "",
        content_type=request.META.get("CONTENT_TYPE"),
        authorization=request.META.get("HTTP_AUTHORIZATION"),
        body=body,
        client_ip=client_ip(request, settings.client_ip_header),
    )
    try:
        return handle_token_request(server, token_request)
    except (OperationalError, InterfaceError) as exc:
        logger.warning("token endpoint: database unavailable (%s)", type(exc).__name__)
        return error_response(TemporarilyUnavailable("the database is unavailable; try again later"))


def _challenge_answer(request: HttpRequest) -> TokenResponse:
    settings = conf.get_settings()
    server = get_server()
    try:
        from oauth2_grant_aws_identity import handle_challenge_request
    except ImportError:
        return error_response(OAuth2Error("the aws_identity grant is not installed on this server", status=404))
    if settings.require_https and not request.is_secure():
        return error_response(CHALLENGE_HTTPS_REQUIRED)
    return handle_challenge_request(server, request.method or "")


@csrf_exempt
def aws_identity_challenge(request: HttpRequest) -> HttpResponse:
    """``POST aws_identity/challenge``: a one-time nonce for the aws_identity grant in challenge mode.

    Answers a JSON 404 unless the grant is installed, enabled and in challenge mode.
    """
    try:
        return _to_django(_challenge_answer(request))
    except Exception:
        logger.exception("aws_identity challenge endpoint failed")
        return _server_error()


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    """``POST access_token``: issue tokens (RFC 6749 3.2)."""
    try:
        return _to_django(_answer(request))
    except Exception:
        # Logged without the request: its body holds credentials.
        logger.exception("token endpoint failed")
        return _server_error()
