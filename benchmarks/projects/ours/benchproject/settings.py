"""oauth2-django as its README wires it: the app, the bearer middleware after authentication, two grants."""

from __future__ import annotations

from benchcommon.fixture import SCOPE
from benchcommon.settings_base import base_settings

globals().update(base_settings())

INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_django"]  # type: ignore[name-defined]  # noqa: F821
MIDDLEWARE = [*MIDDLEWARE, "oauth2_django.middleware.BearerTokenMiddleware"]  # type: ignore[name-defined]  # noqa: F821
OAUTH2_SERVER = {
    "GRANTS": ["password", "refresh_token"],
    "DEFAULT_SCOPE": SCOPE,
    "ACCESS_TOKEN_LIFETIME": 3600,
    # Plain HTTP on loopback, like the two peers (neither of which checks by default).
    "REQUIRE_HTTPS": False,
}
