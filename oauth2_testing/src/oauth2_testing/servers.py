"""Building a real :class:`~oauth2_core.Server` over the in-memory host and store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from oauth2_core import Server, ServerConfig, build_server
from oauth2_testing.clock import FakeClock
from oauth2_testing.memory import MemoryHost, MemoryTokenStore


class MemoryServerFactory:
    """Builds servers that share one memory host, store and clock.

    Each call loads the named grants from their installed entry points, as a
    production server would; ``settings`` are :class:`~oauth2_core.ServerConfig`
    fields. Extra ``plugins`` (wrappers, a grant's host hooks) are registered
    beside the host and store.
    """

    def __init__(
        self,
        host: MemoryHost | None = None,
        store: MemoryTokenStore | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.host = host or MemoryHost()
        self.store = store or MemoryTokenStore()
        self.clock = clock or FakeClock()

    def __call__(
        self,
        grants: Sequence[str] | None = None,
        *,
        plugins: Iterable[object] = (),
        **settings: Any,
    ) -> Server:
        """A server with ``grants`` enabled (None: every installed grant)."""
        config = ServerConfig.from_mapping({"grants": grants, **settings})
        return build_server(config, [self.host, self.store, *plugins], clock=self.clock)
