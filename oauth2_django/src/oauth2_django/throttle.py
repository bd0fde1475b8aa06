"""The password grant's failure counters and lockouts in Django's cache framework.

The grant decides (limits, windows, lockout length); this module only keeps
its counters and lock records in the cache named by
``OAUTH2_SERVER["THROTTLE_CACHE"]`` (default ``"default"``), so every worker
that shares the cache sees the same counts:

- a counter is ``cache.add(key, 0)`` then ``cache.incr(key)``, atomic on
  Redis (``INCR``), memcached and locmem (under its lock);
- a lock record holds the lockout's end as a POSIX timestamp, for
  ``Retry-After``.

The local-memory cache (Django's default) counts per process, so with N
workers an attacker gets up to N times the limit; ``check --deploy`` warns
(``oauth2.W006``). The dummy cache counts nothing. A cache failure answers
503: without counters, guessing could not be limited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from django.core.cache import BaseCache, caches

from oauth2_core import hookimpl
from oauth2_core.errors import TemporarilyUnavailable
from oauth2_django import conf

logger = logging.getLogger("oauth2_django.throttle")

T = TypeVar("T")


def throttle_cache() -> BaseCache:
    return caches[conf.get_settings().throttle_cache]


def _guarded(operation: str, call: Callable[[BaseCache], T]) -> T:
    try:
        return call(throttle_cache())
    except Exception as exc:
        # Only the type: a backend's message could hold connection details.
        logger.warning("throttle cache %s failed: %s", operation, type(exc).__name__)
        raise TemporarilyUnavailable("the sign-in attempt counter is unavailable; try again later") from None


def _increment(cache: BaseCache, key: str, ttl: int) -> int:
    cache.add(key, 0, timeout=ttl)
    try:
        return int(cache.incr(key))
    except ValueError:
        # Evicted (or expired) between add and incr: this failure starts a new count.
        cache.set(key, 1, timeout=ttl)
        return 1


def _latest(found: dict[str, object]) -> datetime | None:
    ends = [value for value in found.values() if isinstance(value, int | float) and not isinstance(value, bool)]
    return datetime.fromtimestamp(max(ends), UTC) if ends else None


@hookimpl(optionalhook=True)
def oauth2_password_locked_until(keys: Sequence[str]) -> datetime | None:
    return _guarded("get_many", lambda cache: _latest(cache.get_many(list(keys))))


@hookimpl(optionalhook=True)
def oauth2_password_count_failure(key: str, ttl: int) -> int:
    return _guarded("incr", lambda cache: _increment(cache, key, ttl))


@hookimpl(optionalhook=True)
def oauth2_password_lock(key: str, until: datetime, ttl: int) -> None:
    _guarded("set", lambda cache: cache.set(key, until.timestamp(), timeout=ttl))
