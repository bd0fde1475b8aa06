"""The bare view: the unauthenticated baseline every ratio is taken against."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def protected_payload(username: str) -> JsonResponse:
    """What each system's protected view answers once that system has let the request in."""
    return JsonResponse({"ok": True, "user": username})
