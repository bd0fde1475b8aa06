"""The host hooks the password grant needs: checking a password, and keeping failure counters and lockouts.

The grant owns the guessing policy (limits, windows, lockout length; see
:mod:`oauth2_grant_password.throttle`); the host only stores counters and
lock records, shared by every process that serves the token endpoint
(Django: its cache framework, Redis in production). Every key starts with
``oauth2:password:`` and is at most 120 ASCII characters, with no spaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from oauth2_core import hookspec

if TYPE_CHECKING:
    from oauth2_core import Client


@hookspec(firstresult=True)
def oauth2_password_authenticate(username: str, password: str, client: Client) -> str | None:
    """Check a resource owner's username and password for a password-grant request.

    Fires once per password-grant request, after the client is authenticated,
    even while the username or address is locked out (the answer is then
    ignored), so that a lockout costs the same time as a real check.
    ``client`` is the client asking. Return the user's id as a string, or
    ``None`` when the credentials are wrong or the user may not sign in; the
    request then fails with ``invalid_grant``. Hosts must run their password
    hasher even for unknown usernames, so timing does not reveal which exist.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_password_locked_until(keys: Sequence[str]) -> datetime | None:
    """The latest lockout end recorded under any of ``keys``, or ``None`` when none is recorded.

    Fires once per password-grant request that names a username, before the
    password is checked. ``keys`` are lock keys (one per username, one per
    client address) written by :func:`oauth2_password_lock`. Return the
    ``until`` stored with them (the grant ignores one that has passed);
    ``None`` means no lockout is in force. A host that cannot reach its store
    should raise ``oauth2_core.errors.TemporarilyUnavailable`` rather than
    answer ``None``, which would turn the defence off.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_password_count_failure(key: str, ttl: int) -> int:
    """Add one to the failure counter ``key`` and return its new value.

    Fires after each failed password check, once per counted subject
    (username, client address). A counter that does not exist starts at 0
    and is kept for ``ttl`` seconds from its creation; ``key`` names a fixed
    time window, so later failures never extend it. The increment must be
    atomic across processes (Django: ``cache.add`` then ``cache.incr``;
    Redis: ``INCR`` then ``EXPIRE``), or concurrent guesses could go
    uncounted. Never ``None``.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_password_lock(key: str, until: datetime, ttl: int) -> None:
    """Record that the subject behind lock key ``key`` is locked out until ``until``.

    Fires when a failure brings a counter to its limit. Keep the record for
    ``ttl`` seconds (``until`` is that far ahead on the grant's clock) and
    return it from :func:`oauth2_password_locked_until`. Overwriting an
    existing record is fine. The return value is ignored.
    """
    raise NotImplementedError
