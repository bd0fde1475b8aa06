"""A value derived from Django settings: built on first use, once per process, and dropped when they change.

Requests then never re-derive it, and ``override_settings`` in tests just
works: Django's ``setting_changed`` signal drops the value, and the next
use builds it again from the new settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.signals import setting_changed

T = TypeVar("T")


class SettingCache(Generic[T]):
    """``build()``'s result, kept until one of the settings named in ``depends_on`` changes."""

    def __init__(self, build: Callable[[], T], *, depends_on: tuple[str, ...], uid: str) -> None:
        self._build = build
        self._depends_on = depends_on
        self._value: T | None = None
        self._lock = threading.Lock()
        setting_changed.connect(self._reset, weak=False, dispatch_uid=uid)

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value

    def _reset(self, *, setting: str, **kwargs: object) -> None:
        if setting in self._depends_on:
            self._value = None
