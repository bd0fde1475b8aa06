"""django-oauth2 as its getting-started guide wires it: the app, its middleware and the remote-user backend."""

from __future__ import annotations

from benchcommon.settings_base import base_settings

globals().update(base_settings())

INSTALLED_APPS = [*INSTALLED_APPS, "provider", "provider.oauth2"]  # type: ignore[name-defined]  # noqa: F821
MIDDLEWARE = [*MIDDLEWARE, "provider.oauth2.middleware.Oauth2UserMiddleware"]  # type: ignore[name-defined]  # noqa: F821
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "django.contrib.auth.backends.RemoteUserBackend",
]
