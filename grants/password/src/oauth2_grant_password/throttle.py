"""Password-guessing defence: failure counters per username and per client address, and lockouts.

The policy lives here, so every host gets the same rules; the host only
keeps counters and lock records (Django: its cache framework) through the
hooks in :mod:`oauth2_grant_password.hookspecs`.

Failures are counted in fixed windows of ``failure_window`` seconds, keyed
by the window's number, so the host never needs to know the time: an
attacker gets at most twice the limit across one window boundary before
the lockout starts. Keys hold a digest of the username, never the username
itself (people type passwords into username fields), and an IPv6 address is
counted by its /64 network, which one subscriber usually holds whole.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from oauth2_core.facade import Hooks
from oauth2_grant_password.options import PasswordOptions

#: Prefix of every key, so a shared cache can hold them beside other data.
KEY_PREFIX = "oauth2:password:"

COUNT_FAILURE_HOOK = "oauth2_password_count_failure"
LOCK_HOOK = "oauth2_password_lock"
LOCKED_UNTIL_HOOK = "oauth2_password_locked_until"


def username_subject(username: str) -> str:
    """The counter subject for ``username``: case and Unicode variants of one name share it."""
    normalized = unicodedata.normalize("NFKC", username).casefold()
    return "user:" + hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()


def address_subject(client_ip: str) -> str | None:
    """The counter subject for a client address; None when it is not an IP address."""
    try:
        address = ipaddress.ip_address(client_ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        # From the integer, so a zone index (fe80::1%eth0) cannot split one network into many.
        return f"ip:{ipaddress.IPv6Network((int(address) >> 64 << 64, 64))}"
    return f"ip:{address}"


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing failures are counted against, and its limit."""

    name: str
    kind: str
    limit: int


class Throttle:
    """Typed calls to the host's counter hooks, with the policy of :class:`PasswordOptions`."""

    __slots__ = ("_options", "_relay")

    def __init__(self, options: PasswordOptions, hooks: Hooks) -> None:
        self._options = options
        self._relay = hooks.relay

    def subjects(self, username: str, client_ip: str | None) -> tuple[Subject, ...]:
        options = self._options
        found = []
        if options.max_failures_per_username:
            found.append(Subject(username_subject(username), "username", options.max_failures_per_username))
        address = None if client_ip is None else address_subject(client_ip)
        if options.max_failures_per_ip and address is not None:
            found.append(Subject(address, "client address", options.max_failures_per_ip))
        return tuple(found)

    def retry_after(self, subjects: Sequence[Subject], now: datetime) -> int | None:
        """Seconds until every lockout among ``subjects`` ends; None when none is in force."""
        if not subjects:
            return None
        keys = [KEY_PREFIX + "lock:" + subject.name for subject in subjects]
        until = cast("datetime | None", self._relay.oauth2_password_locked_until(keys=keys))
        if until is None or until <= now:
            return None
        return max(1, math.ceil((until - now).total_seconds()))

    def record_failure(self, subjects: Sequence[Subject], now: datetime) -> list[Subject]:
        """Count one failure against each subject; lock the ones that reached their limit and return them."""
        window = self._options.failure_window
        bucket = int(now.timestamp()) // window
        locked = []
        for subject in subjects:
            key = f"{KEY_PREFIX}fail:{subject.name}:{bucket}"
            count = int(self._relay.oauth2_password_count_failure(key=key, ttl=window))
            if count >= subject.limit:
                lockout = self._options.lockout_seconds
                until = now + timedelta(seconds=lockout)
                self._relay.oauth2_password_lock(key=KEY_PREFIX + "lock:" + subject.name, until=until, ttl=lockout)
                locked.append(subject)
        return locked
