"""The server configuration, typed, with every default in one place.

Framework adapters map their own settings onto :class:`ServerConfig`; the core
never reads environment variables or global settings itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from oauth2_core.errors import ConfigurationError


def refuse_unknown_keys(
    keys: Iterable[object], known: Iterable[str], *, noun: str, where: str = "", list_known: bool = False
) -> None:
    """Fail on the first key not in ``known``, naming the closest known one: a typo must not pass for a default.

    ``where`` prefixes the message (e.g. which grant's options); ``list_known``
    lists every known name when none is close.
    """
    names = sorted(known)
    for key in keys:
        if key not in names:
            hint = difflib.get_close_matches(str(key), names, n=1)
            if hint:
                suggestion = f"; did you mean {hint[0]!r}?"
            else:
                suggestion = f"; known {noun}s: {', '.join(names)}" if list_known else ""
            raise ConfigurationError(f"{where}unknown {noun} {key!r}{suggestion}")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How the authorization server behaves.

    ``grants`` and ``plugins`` are entry-point names to enable; ``None`` enables
    everything installed in that group.
    """

    grants: tuple[str, ...] | None = None
    plugins: tuple[str, ...] | None = None
    access_token_lifetime: int = 3600
    #: None: refresh tokens do not expire on their own (rotation still retires them).
    refresh_token_lifetime: int | None = 30 * 24 * 3600
    #: Scope given when a request names none, narrowed to what the client may have.
    default_scope: frozenset[str] = frozenset()
    max_body_bytes: int = 16 * 1024
    #: Options for individual grants, keyed by grant type.
    grant_options: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        # Settings often come from untyped sources (Django settings, env files): say which one is wrong
        # instead of failing later with a TypeError from a comparison.
        for name in ("access_token_lifetime", "refresh_token_lifetime", "max_body_bytes"):
            value = getattr(self, name)
            optional = name == "refresh_token_lifetime"
            if not (isinstance(value, int) and not isinstance(value, bool)) and not (optional and value is None):
                expected = "an integer number of seconds" if "lifetime" in name else "an integer"
                raise ConfigurationError(f"{name} must be {expected}{' or None' if optional else ''}, not {value!r}")
        if self.access_token_lifetime <= 0:
            raise ConfigurationError("access_token_lifetime must be a positive number of seconds")
        if self.refresh_token_lifetime is not None and self.refresh_token_lifetime <= 0:
            raise ConfigurationError("refresh_token_lifetime must be positive or None")
        if self.max_body_bytes < 1024:
            raise ConfigurationError("max_body_bytes must be at least 1024")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ServerConfig:
        """Build from lower-case keys, refusing unknown ones with a suggestion."""
        refuse_unknown_keys(values, (f.name for f in fields(cls)), noun="setting")
        converted = dict(values)
        for name in ("grants", "plugins"):
            if converted.get(name) is not None:
                converted[name] = tuple(converted[name])
        if "default_scope" in converted:
            scope = converted["default_scope"]
            converted["default_scope"] = frozenset(scope.split() if isinstance(scope, str) else scope)
        if "grant_options" in converted:
            converted["grant_options"] = MappingProxyType(dict(converted["grant_options"]))
        return cls(**converted)
