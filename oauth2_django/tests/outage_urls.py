"""The test URLs with a site-wide ``handler500`` of the site's own, to see who answers a failed request."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from .urls import urlpatterns

__all__ = ["handler500", "urlpatterns"]

#: Every request the site's error handler answered.
handled: list[str] = []


def site_error(request: HttpRequest) -> JsonResponse:
    handled.append(request.path)
    return JsonResponse({"error": "the site's own 500 page"}, status=500)


handler500 = site_error
