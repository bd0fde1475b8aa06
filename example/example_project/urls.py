"""URLs of the example: the admin, the OAuth 2.0 endpoints and the demo API."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from demo import views

urlpatterns = [
    path("admin/", admin.site.urls),
    # The "oauth2" namespace is part of the contract: the token URL is reverse("oauth2:token").
    path("oauth2/", include(("oauth2_django.urls", "oauth2"))),
    path("api/me", views.me, name="me"),
]
