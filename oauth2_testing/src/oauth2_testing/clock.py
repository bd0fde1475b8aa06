"""A clock tests move by hand, for expiry without sleeping.

Pass it as ``build_server(..., clock=clock)``; the endpoint reads the time from
it once per request.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

#: A fixed, timezone-aware start so that tests do not depend on the real date.
EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


class FakeClock:
    """Callable returning the current fake time; :meth:`advance` moves it forward."""

    def __init__(self, start: datetime = EPOCH) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start time, e.g. datetime(..., tzinfo=UTC)")
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError("a clock only moves forward; pass a positive number of seconds")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def __repr__(self) -> str:
        return f"FakeClock({self().isoformat()})"
