"""Building the plugin manager: load only what is enabled, then verify the wiring.

Nothing here runs at import time. Entry points are loaded one enabled name at
a time, so an installed but disabled grant is never imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import metadata

import pluggy

from oauth2_core import hookspecs
from oauth2_core.config import ServerConfig
from oauth2_core.errors import ConfigurationError
from oauth2_core.markers import GRANTS_GROUP, NAME, PLUGINS_GROUP

#: Core hooks that must have exactly one implementation that is not a wrapper.
SINGLE_IMPLEMENTATION_HOOKS = (
    "oauth2_host_find_client",
    "oauth2_host_transaction",
    "oauth2_store_save_tokens",
    "oauth2_store_rotate_refresh_token",
    "oauth2_store_find_access_token",
    "oauth2_store_find_refresh_token",
    "oauth2_store_revoke_family",
)


def installed_entry_points(group: str) -> list[metadata.EntryPoint]:
    """Entry points of ``group`` from package metadata, sorted by name; nothing is imported."""
    return sorted(metadata.entry_points(group=group), key=lambda entry_point: entry_point.name)


def describe(pm: pluggy.PluginManager, plugin: object) -> str:
    """A plugin's name and the distribution it came from, for error messages."""
    name = pm.get_name(plugin) or repr(plugin)
    for candidate, dist in pm.list_plugin_distributions():
        if candidate is plugin:
            return f"plugin {name!r} from distribution {dist.metadata['Name']} {dist.version}"
    # Objects registered without a name are named by id(); their class says more to a reader.
    label = getattr(plugin, "__name__", None) or type(plugin).__name__
    return f"plugin {label!r} (registered directly)"


def _load(pm: pluggy.PluginManager, group: str, names: Sequence[str] | None, kind: str) -> None:
    installed = installed_entry_points(group)
    wanted = [entry_point.name for entry_point in installed] if names is None else list(names)
    for name in wanted:
        matches = [entry_point for entry_point in installed if entry_point.name == name]
        if not matches:
            available = ", ".join(entry_point.name for entry_point in installed) or "none"
            raise ConfigurationError(
                f"{kind} {name!r} is enabled but not installed: no distribution provides it "
                f"in entry-point group {group!r} (installed: {available})"
            )
        if len(matches) > 1:
            sources = ", ".join(sorted(_source(entry_point) for entry_point in matches))
            raise ConfigurationError(f"{kind} {name!r} is provided by several distributions: {sources}")
        try:
            pm.load_setuptools_entrypoints(group, name=name)
        except Exception as exc:
            raise ConfigurationError(
                f"{kind} {name!r} from distribution {_source(matches[0])} failed to load: {type(exc).__name__}: {exc}"
            ) from exc


def _source(entry_point: metadata.EntryPoint) -> str:
    dist = entry_point.dist
    return f"{dist.name} {dist.version}" if dist is not None else entry_point.value


def build_plugin_manager(config: ServerConfig, plugins: Iterable[object] = ()) -> pluggy.PluginManager:
    """A plugin manager with the enabled grants and extensions and the given host plugins.

    ``plugins`` are objects the host registers directly (its host services and
    token store). Raises :class:`ConfigurationError` when an enabled name is not
    installed, a plugin fails to load, or an implementation has no spec.
    """
    pm = pluggy.PluginManager(NAME)
    pm.add_hookspecs(hookspecs)
    _load(pm, GRANTS_GROUP, config.grants, "grant")
    _load(pm, PLUGINS_GROUP, config.plugins, "plugin")
    for plugin in plugins:
        pm.register(plugin)
    pm.hook.oauth2_add_hookspecs(pluginmanager=pm)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ConfigurationError(f"{describe(pm, exc.plugin)}: {exc}") from exc
    return pm


def require_single_implementation(pm: pluggy.PluginManager, hook_name: str, needed_by: str) -> None:
    """Fail unless ``hook_name`` has exactly one implementation that is not a wrapper."""
    caller = getattr(pm.hook, hook_name, None)
    implementations = [] if caller is None else [impl for impl in caller.get_hookimpls() if not impl.wrapper]
    if len(implementations) == 1:
        return
    if not implementations:
        raise ConfigurationError(
            f"{needed_by} needs an implementation of hook {hook_name!r}, and no plugin provides one"
        )
    owners = "; ".join(describe(pm, impl.plugin) for impl in implementations)
    raise ConfigurationError(f"hook {hook_name!r} must have exactly one implementation, found: {owners}")


def check_core_hooks(pm: pluggy.PluginManager) -> None:
    """Verify that the host services and token store are each implemented exactly once."""
    for hook_name in SINGLE_IMPLEMENTATION_HOOKS:
        require_single_implementation(pm, hook_name, "the token endpoint")
