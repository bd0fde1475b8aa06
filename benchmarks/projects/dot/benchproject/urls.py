"""Routes: the bare view, the protected view and django-oauth-toolkit's own URLs (token endpoint at /o/token/)."""

from __future__ import annotations

from benchcommon.views import bare
from django.urls import include, path

from benchproject.views import protected

urlpatterns = [
    path("api/bare", bare),
    path("api/protected", protected),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
