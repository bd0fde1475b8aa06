"""Routes: the bare view, the protected view and django-oauth2's own token endpoint."""

from __future__ import annotations

from benchcommon.views import bare
from django.urls import include, path

from benchproject.views import ProtectedView

urlpatterns = [
    path("api/bare", bare),
    path("api/protected", ProtectedView.as_view()),
    path("oauth2/", include(("provider.oauth2.urls", "oauth2"))),
]
