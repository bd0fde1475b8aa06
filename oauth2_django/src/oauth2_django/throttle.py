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
from collections.abc import Sequence
from datetime import UTC, datetime

from django.core.cache import BaseCache

from oauth2_core import hookimpl
from oauth2_django.required_cache import RequiredCache

_CACHE = RequiredCache(
    purpose="throttle cache",
    alias=lambda parsed: parsed.throttle_cache,
    unavailable="the sign-in attempt counter is unavailable; try again later",
    logger=logging.getLogger("oauth2_django.throttle"),
)


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
    return _CACHE.run("get_many", lambda cache: _latest(cache.get_many(list(keys))))


@hookimpl(optionalhook=True)
def oauth2_password_count_failure(key: str, ttl: int) -> int:
    return _CACHE.run("incr", lambda cache: _increment(cache, key, ttl))


@hookimpl(optionalhook=True)
def oauth2_password_lock(key: str, until: datetime, ttl: int) -> None:
    _CACHE.run("set", lambda cache: cache.set(key, until.timestamp(), timeout=ttl))
