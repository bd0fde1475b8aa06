"""One-time values in Django's cache: signed requests already used, challenge nonces issued and not yet used.

Everything goes through the cache named by ``OAUTH2_SERVER["REPLAY_CACHE"]``
(default ``"default"``), and every check-and-change is a single atomic cache
operation, so two processes sharing the cache never both win:

- ``remember`` is ``cache.add``, which stores only when the key is absent
  (Redis ``SET NX``, memcached ``add``, the database cache's primary key,
  locmem's lock).
- ``consume`` reads the nonce (``get`` honours expiry on every backend)
  and then deletes it; ``delete`` returns whether *this* call removed the
  key (Redis ``DEL`` count, memcached ``delete``, the database cache's row
  count, locmem under its lock), so of concurrent consumers exactly one
  sees True. ``delete`` alone is not enough: locmem, the file and the
  database caches delete (and report) an expired entry they have not
  culled yet.

The local-memory cache is per process and the file cache's ``add`` is a
check-then-write, so neither stops a replay sent to another worker; the
deployment checks warn about them, and the dummy cache, which remembers
nothing, is an error.

A cache failure refuses the request with a 503: without the cache a replay
cannot be told apart from a first use.
"""

from __future__ import annotations

import logging

from django.core.cache import BaseCache

from oauth2_django.required_cache import RequiredCache

_CACHE = RequiredCache(
    purpose="replay cache",
    alias=lambda parsed: parsed.replay_cache,
    unavailable="the replay cache is unavailable; try again later",
    logger=logging.getLogger("oauth2_django.replay"),
)


def remember(key: str, ttl: int) -> bool:
    """Record ``key`` for ``ttl`` seconds; True only for the first caller while it lives."""
    return bool(_CACHE.run("add", lambda cache: cache.add(key, 1, timeout=ttl)))


def store(key: str, ttl: int) -> None:
    """Keep ``key`` usable once for ``ttl`` seconds."""
    _CACHE.run("set", lambda cache: cache.set(key, 1, timeout=ttl))


def consume(key: str) -> bool:
    """Use up ``key``: True only if it is stored, unexpired, and this call is the one that removed it."""

    def take(cache: BaseCache) -> bool:
        if cache.get(key) is None:
            return False
        return bool(cache.delete(key))

    return _CACHE.run("consume", take)
