"""The password grant's options, read from ``config.grant_options["password"]``, typed and checked once.

Every default lives here. Unknown keys are refused with a "did you mean"
hint, so a misspelt limit cannot silently fall back to its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from oauth2_core.config import refuse_unknown_keys
from oauth2_core.errors import ConfigurationError

OPTIONS_KEY = "password"


def _ensure(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigurationError(f"grant_options[{OPTIONS_KEY!r}]: {message}")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class PasswordOptions:
    """Limits on password guessing.

    Failed attempts are counted per username and per client address within
    ``failure_window`` seconds. Once either count reaches its limit, every
    attempt for that username (or from that address) is refused with 429 for
    ``lockout_seconds``, whatever password it carries. A limit of 0 turns that
    counter off.
    """

    max_failures_per_username: int = 10
    max_failures_per_ip: int = 100
    failure_window: int = 15 * 60
    lockout_seconds: int = 15 * 60

    def __post_init__(self) -> None:
        for option in ("max_failures_per_username", "max_failures_per_ip"):
            value = getattr(self, option)
            _ensure(_whole(value) and value >= 0, f"{option} must be a whole number, 0 to turn the counter off")
        for option in ("failure_window", "lockout_seconds"):
            value = getattr(self, option)
            _ensure(
                _whole(value) and 1 <= value <= 7 * 24 * 3600,
                f"{option} must be a whole number of seconds from 1 to 604800 (a week)",
            )

    @property
    def throttled(self) -> bool:
        return bool(self.max_failures_per_username or self.max_failures_per_ip)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> PasswordOptions:
        """Build from the settings mapping, refusing unknown keys with a suggestion."""
        _ensure(isinstance(values, Mapping), "must be a mapping of option names to values")
        known = (field.name for field in fields(cls))
        refuse_unknown_keys(values, known, noun="option", where=f"grant_options[{OPTIONS_KEY!r}]: ", list_known=True)
        return cls(**values)
