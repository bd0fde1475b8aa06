"""Routes: the bare view, the protected view and the app's token endpoint (/oauth2/access_token)."""

from __future__ import annotations

from benchcommon.views import bare
from django.urls import include, path

from benchproject.views import protected

urlpatterns = [
    path("api/bare", bare),
    path("api/protected", protected),
    path("oauth2/", include(("oauth2_django.urls", "oauth2"))),
]
