"""URLs of the app; include them with a namespace: ``path("oauth2/", include(("oauth2_django.urls", "oauth2")))``."""

from __future__ import annotations

from django.urls import re_path

from oauth2_django import views

urlpatterns = [
    # One pattern for both spellings, so neither depends on APPEND_SLASH and none redirects a POST.
    re_path(r"^access_token/?$", views.token, name="token"),
    re_path(r"^aws_identity/challenge/?$", views.aws_identity_challenge, name="aws_identity_challenge"),
]
