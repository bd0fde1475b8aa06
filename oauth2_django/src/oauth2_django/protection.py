"""Require a bearer token on a view: ``@token_required(*scopes)`` and ``TokenRequiredMixin``.

Refusals follow RFC 6750 3.1: 401 with ``WWW-Authenticate: Bearer`` when the
token is missing or invalid, 400 for a malformed request, 403
``insufficient_scope`` naming the scope needed, always with a JSON body.

Protected views are CSRF-exempt and exempt from ``LoginRequiredMiddleware``:
they act only for the token presented, which a browser never attaches on its
own, never for the session.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, ClassVar, TypeVar, overload

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from oauth2_django.bearer import BearerError, BearerToken

REALM = "oauth2"
View = TypeVar("View", bound=Callable[..., Any])


def _challenge(*parameters: tuple[str, str]) -> str:
    return "Bearer " + ", ".join(f'{name}="{value}"' for name, value in (("realm", REALM), *parameters))


def _refusal(status: int, body: dict[str, str], challenge: str | None) -> JsonResponse:
    response = JsonResponse(body, status=status)
    if challenge is not None:
        response["WWW-Authenticate"] = challenge
    return response


def _error_response(error: BearerError) -> JsonResponse:
    body = {"error": error.error, "error_description": error.description}
    return _refusal(error.status, body, _challenge(("error", error.error), ("error_description", error.description)))


def check_token(request: HttpRequest, scopes: Sequence[str]) -> JsonResponse | None:
    """The refusal for ``request``, or None when it carries a valid token with every scope in ``scopes``."""
    if not hasattr(request, "oauth2_token"):
        raise ImproperlyConfigured(
            "token_required needs 'oauth2_django.middleware.BearerTokenMiddleware' in MIDDLEWARE, "
            "after 'django.contrib.auth.middleware.AuthenticationMiddleware'"
        )
    error: BearerError | None = getattr(request, "oauth2_error", None)
    if error is not None:
        return _error_response(error)
    token: BearerToken | None = getattr(request, "oauth2_token", None)
    if token is None:
        # RFC 6750 3.1: no error code when the request carried no credentials at all.
        return _refusal(401, {"error_description": "this resource needs a bearer access token"}, _challenge())
    if not token.has_scopes(scopes):
        needed = " ".join(sorted(set(scopes)))
        description = "the access token does not have the scope this resource needs"
        return _refusal(
            403,
            {"error": "insufficient_scope", "error_description": description, "scope": needed},
            _challenge(("error", "insufficient_scope"), ("error_description", description), ("scope", needed)),
        )
    return None


def _exempt(view: View) -> View:
    return login_not_required(csrf_exempt(view))


def _protect(view: View, scopes: tuple[str, ...]) -> View:
    if inspect.iscoroutinefunction(view):

        @wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            refusal = check_token(request, scopes)
            if refusal is not None:
                return refusal
            response: HttpResponseBase = await view(request, *args, **kwargs)
            return response

        return _exempt(async_wrapper)  # type: ignore[return-value]

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refusal = check_token(request, scopes)
        if refusal is not None:
            return refusal
        response: HttpResponseBase = view(request, *args, **kwargs)
        return response

    return _exempt(wrapper)  # type: ignore[return-value]


@overload
def token_required(view: View, /) -> View: ...
@overload
def token_required(*scopes: str) -> Callable[[View], View]: ...
def token_required(*scopes: Any) -> Any:
    """Require a valid bearer token with every one of ``scopes``: ``@token_required("read")``.

    ``@token_required`` without parentheses requires a token with any scope.
    """
    if len(scopes) == 1 and callable(scopes[0]):
        return _protect(scopes[0], ())
    for scope in scopes:
        if not isinstance(scope, str):
            raise TypeError(f"token_required takes scope names, not {type(scope).__name__}")

    def decorator(view: View) -> View:
        return _protect(view, scopes)

    return decorator


class TokenRequiredMixin:
    """Class-based-view mixin: require a bearer token with every scope in ``required_scopes``.

    Put it first among the bases so it runs before the view's own dispatch.
    """

    required_scopes: ClassVar[Sequence[str]] = ()

    def get_required_scopes(self) -> Sequence[str]:
        return self.required_scopes

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
        view: Callable[..., HttpResponseBase] = super().as_view(**initkwargs)  # type: ignore[misc]
        return _exempt(view)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        refusal = check_token(request, self.get_required_scopes())
        if refusal is None:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        if getattr(self, "view_is_async", False):

            async def refused() -> HttpResponseBase:
                return refusal

            return refused()
        return refusal
