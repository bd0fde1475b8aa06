"""``BearerTokenMiddleware``: authenticate requests that carry an OAuth 2.0 access token (RFC 6750).

Place it after ``AuthenticationMiddleware``. For a request with a token it sets
``request.user`` (the token's user, or ``AnonymousUser`` for a client-only
token), ``request.oauth2_token`` and ``request.oauth2_client``. It logs
nobody in: no session is written, ``last_login`` is untouched and no
authentication backend is needed. A token that is refused leaves the request
anonymous and sets ``request.oauth2_error``; answering the error is the job of
:mod:`oauth2_django.protection`, so views that do not require a token still run.

When the database cannot be reached to check a presented token, no view
runs: the middleware raises :class:`TokenCheckUnavailable` (a Django
``OperationalError``), so the site's own error handling sees the outage
(``handler500``, the ``django.request`` log, error reporters, or a
middleware that maps database errors to 503), exactly as for any view that
hits the database. Running the view anonymously instead would hide the
outage and serve a signed-in client the anonymous answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import OperationalError
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from oauth2_django import bearer, conf

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_PARAMETER = b"access_token"

MULTIPLE = bearer.BearerError("invalid_request", "send the access token in one place only", 400)
QUERY_DISABLED = bearer.BearerError(
    "invalid_request", "access_token in the query string is disabled; use the Authorization header", 400
)


class TokenCheckUnavailable(OperationalError):
    """The database could not be reached to check a bearer token; the request must fail, not run anonymously."""


def _from_header(request: HttpRequest) -> str | None:
    header: str | None = request.META.get("HTTP_AUTHORIZATION")
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer":
        return None  # Basic and other schemes are not ours to judge.
    return credentials.strip()


def _from_body(request: HttpRequest) -> str | None:
    # RFC 6750 2.2: only a form-encoded POST body may carry the token.
    if request.method != "POST":
        return None
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.split(";", 1)[0].strip().lower() != FORM_CONTENT_TYPE:
        return None
    try:
        # A body that cannot hold the parameter (its name neither written out nor percent-escaped)
        # is not parsed: a token request's form, for one, never is.
        body = request.body
        if _PARAMETER not in body and b"%" not in body:
            return None
        token = request.POST.get("access_token")
    except (BadRequest, SuspiciousOperation, OSError, ValueError, LookupError):
        # Too large, unreadable or badly encoded: the view that reads the body will say so.
        return None
    if token is not None:
        _hide_from_error_reports(request, "access_token")
    return token


def _from_query(request: HttpRequest) -> str | None:
    # As for the body: a query string that cannot hold the parameter is not parsed.
    query: str = request.META.get("QUERY_STRING", "")
    if "access_token" not in query and "%" not in query:
        return None
    token: str | None = request.GET.get("access_token")
    return token


def _hide_from_error_reports(request: HttpRequest, parameter: str) -> None:
    # What @sensitive_post_parameters sets: error pages and emailed reports then mask the value.
    hidden = getattr(request, "sensitive_post_parameters", None)
    if hidden == "__ALL__":
        return
    request.sensitive_post_parameters = sorted({*(hidden or ()), parameter})  # type: ignore[attr-defined]


def _async_user(user: Any) -> Callable[[], Any]:
    async def auser() -> Any:
        return user

    return auser


class BearerTokenMiddleware:
    """Authenticate ``Authorization: Bearer`` (and the form-body token; the query one only if enabled)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        self.authenticate(request)
        if request.oauth2_error is bearer.UNAVAILABLE:  # type: ignore[attr-defined]
            # Raised here, not where the token was read: error pages and reporters show the
            # local variables of every frame in the traceback, and none here holds the token.
            raise TokenCheckUnavailable("the database could not be reached to check the bearer token")
        response = self.get_response(request)
        patch_vary_headers(response, ("Authorization",))
        return response

    def authenticate(self, request: HttpRequest) -> None:
        request.oauth2_token = None  # type: ignore[attr-defined]
        request.oauth2_client = None  # type: ignore[attr-defined]
        request.oauth2_error = None  # type: ignore[attr-defined]
        presented = [token for token in (_from_header(request), _from_body(request)) if token is not None]
        query_token = _from_query(request)
        if query_token is not None:
            if not conf.get_settings().allow_query_token:
                self._refuse(request, QUERY_DISABLED)
                return
            presented.append(query_token)
        if not presented:
            return
        if len(presented) > 1:
            self._refuse(request, MULTIPLE)
            return
        found = bearer.find(presented[0], timezone.now())
        if isinstance(found, bearer.BearerError):
            self._refuse(request, found)
            return
        user = found.user if found.user is not None else AnonymousUser()
        request.user = user  # type: ignore[assignment]  # any AUTH_USER_MODEL, not only auth.User
        request.auser = _async_user(user)
        request.oauth2_token = found.token  # type: ignore[attr-defined]
        request.oauth2_client = found.client  # type: ignore[attr-defined]

    @staticmethod
    def _refuse(request: HttpRequest, error: bearer.BearerError) -> None:
        # A refused credential never falls back to the session's identity.
        anonymous = AnonymousUser()
        request.user = anonymous
        request.auser = _async_user(anonymous)
        request.oauth2_error = error  # type: ignore[attr-defined]
