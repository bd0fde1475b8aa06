"""A cache the token endpoint cannot do without: replay memory, password-failure counters.

Without it a replay cannot be told apart from a first use, and password
guessing cannot be limited, so a backend failure refuses the request with a
503 instead of guessing. Only the exception's type is logged: a backend's
message could hold connection details.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import BaseCache, caches

from oauth2_core.errors import TemporarilyUnavailable
from oauth2_django import conf

T = TypeVar("T")


@dataclass(frozen=True)
class RequiredCache:
    """The cache one ``OAUTH2_SERVER`` key names, with every operation turned into a 503 when it fails."""

    #: How log lines name it, e.g. "replay cache".
    purpose: str
    #: The alias in ``CACHES``, read from the parsed setting on each call (``override_settings`` works).
    alias: Callable[[conf.OAuth2Settings], str]
    #: The 503's error_description.
    unavailable: str
    logger: logging.Logger

    def run(self, operation: str, call: Callable[[BaseCache], T]) -> T:
        try:
            return call(caches[self.alias(conf.get_settings())])
        except Exception as exc:
            self.logger.warning("%s %s failed: %s", self.purpose, operation, type(exc).__name__)
            raise TemporarilyUnavailable(self.unavailable) from None
