"""django-oauth-toolkit with its defaults: the app and a ``read`` scope; views use its decorator."""

from __future__ import annotations

from benchcommon.fixture import SCOPE
from benchcommon.settings_base import base_settings

globals().update(base_settings())

INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider"]  # type: ignore[name-defined]  # noqa: F821
OAUTH2_PROVIDER = {
    "SCOPES": {SCOPE: "Read"},
    "DEFAULT_SCOPES": [SCOPE],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
}
