"""The assembled server: configuration, plugin manager, hooks and grant registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pluggy

from oauth2_core.config import ServerConfig
from oauth2_core.facade import Hooks
from oauth2_core.plugins import build_plugin_manager, check_core_hooks, require_single_implementation
from oauth2_core.registry import GrantRegistry


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Server:
    """Everything the token endpoint needs; build one per process with :func:`build_server`."""

    config: ServerConfig
    pluginmanager: pluggy.PluginManager
    hooks: Hooks
    registry: GrantRegistry
    clock: Callable[[], datetime] = utc_now


def build_server(
    config: ServerConfig,
    plugins: Iterable[object] = (),
    *,
    clock: Callable[[], datetime] = utc_now,
) -> Server:
    """Load the enabled plugins, register ``plugins`` (host and store) and verify the wiring.

    Raises :class:`~oauth2_core.errors.ConfigurationError` naming the plugin at fault.
    """
    pm = build_plugin_manager(config, plugins)
    check_core_hooks(pm)
    registry = GrantRegistry.collect(pm, config)
    for grant_type, entry in registry.items():
        for hook_name in entry.grant.required_host_hooks:
            require_single_implementation(pm, hook_name, f"grant {grant_type!r} ({entry.source})")
    return Server(config, pm, Hooks(pm), registry, clock)
