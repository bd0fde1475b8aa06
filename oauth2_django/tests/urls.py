"""URLs for the tests: the app under its namespace, the admin and bearer-protected JSON views."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views import View

from oauth2_django.protection import TokenRequiredMixin, token_required


def _describe(request: HttpRequest) -> JsonResponse:
    token = request.oauth2_token  # type: ignore[attr-defined]
    return JsonResponse(
        {
            "user": request.user.get_username() if request.user.is_authenticated else None,
            "client_id": token.client_id,
            "scope": " ".join(sorted(token.scope)),
        }
    )


@token_required("read")
def me(request: HttpRequest) -> JsonResponse:
    return _describe(request)


@token_required
def any_scope(request: HttpRequest) -> JsonResponse:
    return _describe(request)


@token_required("read")
async def async_me(request: HttpRequest) -> JsonResponse:
    return _describe(request)


class WriteView(TokenRequiredMixin, View):
    required_scopes = ("read", "write")

    def get(self, request: HttpRequest) -> JsonResponse:
        return _describe(request)

    def post(self, request: HttpRequest) -> JsonResponse:
        return _describe(request)


class AsyncWriteView(TokenRequiredMixin, View):
    required_scopes = ("write",)

    async def get(self, request: HttpRequest) -> JsonResponse:
        return _describe(request)


def open_view(request: HttpRequest) -> JsonResponse:
    """Not protected: shows what the middleware decided."""
    error = request.oauth2_error  # type: ignore[attr-defined]
    return JsonResponse(
        {
            "authenticated": request.user.is_authenticated,
            "token": None if request.oauth2_token is None else request.oauth2_token.display,  # type: ignore[attr-defined]
            "error": None if error is None else error.error,
        }
    )


urlpatterns = [
    path("oauth2/", include(("oauth2_django.urls", "oauth2"))),
    path("admin/", admin.site.urls),
    path("api/me", me, name="me"),
    path("api/any", any_scope, name="any"),
    path("api/async-me", async_me, name="async-me"),
    path("api/write", WriteView.as_view(), name="write"),
    path("api/async-write", AsyncWriteView.as_view(), name="async-write"),
    path("api/open", open_view, name="open"),
]
