"""The ``OAUTH2_SERVER`` setting: every key, its type and its default, in one place.

The dict's upper-case keys map onto :class:`oauth2_core.ServerConfig` plus a
few Django-side keys. Parsing happens once and is cached until Django reports
that ``OAUTH2_SERVER`` or ``DEBUG`` changed, so ``override_settings`` works in
tests without any wrapper and requests never re-parse settings.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from oauth2_core import ServerConfig
from oauth2_core.errors import ConfigurationError
from oauth2_django.setting_cache import SettingCache

SETTING = "OAUTH2_SERVER"

#: Keys mapped one to one onto ServerConfig fields (see its docstring for their meaning).
CORE_KEYS: Mapping[str, str] = {
    "GRANTS": "grants",
    "PLUGINS": "plugins",
    "ACCESS_TOKEN_LIFETIME": "access_token_lifetime",
    "REFRESH_TOKEN_LIFETIME": "refresh_token_lifetime",
    "DEFAULT_SCOPE": "default_scope",
    "MAX_BODY_BYTES": "max_body_bytes",
    "GRANT_OPTIONS": "grant_options",
}

#: Django-side keys and their defaults; None for REQUIRE_HTTPS means "not settings.DEBUG".
DJANGO_DEFAULTS: Mapping[str, bool | str | None] = {
    "REQUIRE_HTTPS": None,
    "ALLOW_QUERY_TOKEN": False,
    "REPLAY_CACHE": "default",
    "THROTTLE_CACHE": "default",
    "CLIENT_IP_HEADER": None,
}

KNOWN_KEYS = frozenset(CORE_KEYS) | frozenset(DJANGO_DEFAULTS)

#: The flat settings of django-oauth2 (the ancestor package) and what replaces each.
REMOVED_SETTINGS: Mapping[str, str] = {
    "OAUTH_EXPIRE_DELTA": "OAUTH2_SERVER['ACCESS_TOKEN_LIFETIME'] (seconds or a timedelta)",
    "OAUTH_EXPIRE_DELTA_PUBLIC": (
        "OAUTH2_SERVER['ACCESS_TOKEN_LIFETIME']; public clients get no refresh token, so one lifetime fits both"
    ),
    "OAUTH_EXPIRE_CODE_DELTA": "nothing: this server has no authorization-code endpoint",
    "OAUTH_SCOPES": "Scope rows in the database (admin or a data migration) and OAUTH2_SERVER['DEFAULT_SCOPE']",
    "OAUTH_ENFORCE_SECURE": "OAUTH2_SERVER['REQUIRE_HTTPS'] (on by default when DEBUG is False)",
    "OAUTH_ENFORCE_CLIENT_SECURE": (
        "Client.client_type: confidential clients always authenticate with a generated secret"
    ),
    "OAUTH_DELETE_EXPIRED": "the oauth2_clear_tokens management command, run on a schedule",
    "OAUTH_SINGLE_ACCESS_TOKEN": "nothing: each grant issues a new token and refresh rotation revokes the old one",
    "OAUTH_RESPONSE_TYPES": "nothing: only the token endpoint is served; enable grants with OAUTH2_SERVER['GRANTS']",
    "OAUTH_CLIENT_TYPES": "Client.client_type (confidential or public)",
}


@dataclass(frozen=True, slots=True)
class OAuth2Settings:
    """The parsed ``OAUTH2_SERVER`` setting."""

    server: ServerConfig
    #: Refuse token requests that did not arrive over HTTPS (``request.is_secure()``).
    require_https: bool
    #: Accept ``?access_token=`` in the query string (RFC 6750 2.3 advises against it).
    allow_query_token: bool
    #: Whether GRANTS was given; when not, every installed grant is enabled.
    grants_pinned: bool
    #: Alias in CACHES of the cache that keeps one-time values: used signed requests, challenge nonces.
    replay_cache: str = "default"
    #: Alias in CACHES of the cache that keeps password-failure counters and lockouts.
    throttle_cache: str = "default"
    #: request.META key of the header a trusted proxy writes the client address into
    #: (e.g. "HTTP_X_FORWARDED_FOR"); None: the address is REMOTE_ADDR.
    client_ip_header: str | None = None


def raw_setting() -> object:
    return getattr(settings, SETTING, {})


def unknown_keys(raw: Mapping[object, object]) -> list[tuple[str, str | None]]:
    """Keys of ``raw`` that mean nothing here, each with the closest known key or None."""
    found = []
    for key in raw:
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(str(key).upper(), sorted(KNOWN_KEYS), n=1)
            found.append((str(key), close[0] if close else None))
    return found


def _seconds(key: str, value: object, *, allow_none: bool) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    expected = "a number of seconds, a timedelta or None" if allow_none else "a number of seconds or a timedelta"
    raise ConfigurationError(f"{SETTING}[{key!r}] must be {expected}, not {type(value).__name__}")


def _integer(key: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ConfigurationError(f"{SETTING}[{key!r}] must be an integer, not {type(value).__name__}")


def _names(key: str, value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{SETTING}[{key!r}] must be a list of entry-point names, e.g. ['password']")
    return tuple(value)


def _scope(value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple | set | frozenset) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise ConfigurationError(f"{SETTING}['DEFAULT_SCOPE'] must be a space-separated string or a list of scope names")


def _flag(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{SETTING}[{key!r}] must be True or False, not {type(value).__name__}")
    return value


def _alias(key: str, value: object) -> str:
    if isinstance(value, str) and value:
        return value
    raise ConfigurationError(f"{SETTING}[{key!r}] must be the name of a cache in CACHES, e.g. 'default'")


def _meta_key(key: str, value: object) -> str | None:
    if value is None:
        return None
    # request.META names a header "HTTP_" plus its name in upper case, "-" written "_".
    if isinstance(value, str) and re.fullmatch(r"HTTP_[A-Z0-9_]+", value):
        return value
    raise ConfigurationError(f"{SETTING}[{key!r}] must be a request.META key such as 'HTTP_X_FORWARDED_FOR' or None")


def parse(raw: object, *, debug: bool) -> OAuth2Settings:
    """Turn the setting into :class:`OAuth2Settings`; raises ``ConfigurationError`` saying what to fix."""
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{SETTING} must be a dict, not {type(raw).__name__}")
    unknown = unknown_keys(raw)
    if unknown:
        key, close = unknown[0]
        suggestion = f"; did you mean {close!r}?" if close else ""
        raise ConfigurationError(f"{SETTING} has an unknown key {key!r}{suggestion}")
    core: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("GRANTS", "PLUGINS"):
            core[CORE_KEYS[key]] = _names(key, value)
        elif key == "ACCESS_TOKEN_LIFETIME":
            core["access_token_lifetime"] = _seconds(key, value, allow_none=False)
        elif key == "REFRESH_TOKEN_LIFETIME":
            core["refresh_token_lifetime"] = _seconds(key, value, allow_none=True)
        elif key == "DEFAULT_SCOPE":
            core["default_scope"] = _scope(value)
        elif key == "MAX_BODY_BYTES":
            core["max_body_bytes"] = _integer(key, value)
        elif key == "GRANT_OPTIONS":
            if not isinstance(value, Mapping):
                raise ConfigurationError(f"{SETTING}['GRANT_OPTIONS'] must be a dict keyed by grant type")
            core["grant_options"] = value
    require_https = raw.get("REQUIRE_HTTPS")
    return OAuth2Settings(
        server=ServerConfig.from_mapping(core),
        require_https=not debug if require_https is None else _flag("REQUIRE_HTTPS", require_https),
        allow_query_token=_flag(
            "ALLOW_QUERY_TOKEN", raw.get("ALLOW_QUERY_TOKEN", DJANGO_DEFAULTS["ALLOW_QUERY_TOKEN"])
        ),
        grants_pinned="GRANTS" in raw,
        replay_cache=_alias("REPLAY_CACHE", raw.get("REPLAY_CACHE", DJANGO_DEFAULTS["REPLAY_CACHE"])),
        throttle_cache=_alias("THROTTLE_CACHE", raw.get("THROTTLE_CACHE", DJANGO_DEFAULTS["THROTTLE_CACHE"])),
        client_ip_header=_meta_key("CLIENT_IP_HEADER", raw.get("CLIENT_IP_HEADER")),
    )


def _parse_current() -> OAuth2Settings:
    try:
        return parse(raw_setting(), debug=settings.DEBUG)
    except ConfigurationError as exc:
        raise ImproperlyConfigured(f"{exc} (run 'manage.py check' for every problem)") from exc


_parsed = SettingCache(_parse_current, depends_on=(SETTING, "DEBUG"), uid="oauth2_django.conf")


def get_settings() -> OAuth2Settings:
    """The parsed setting, parsed once per process (and again after it changes)."""
    return _parsed.get()
