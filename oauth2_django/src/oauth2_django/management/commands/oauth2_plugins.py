"""``manage.py oauth2_plugins``: installed grants and extensions, which are enabled, from package metadata."""

from __future__ import annotations

from typing import Any

import pluggy
from django.core.management.base import BaseCommand

from oauth2_core import GRANTS_GROUP, PLUGINS_GROUP
from oauth2_core.errors import ConfigurationError
from oauth2_core.plugins import describe, installed_entry_points
from oauth2_django import conf


def _grant_types(name: str) -> str:
    """The wire grant types an enabled plugin declared, read from the built server."""
    from oauth2_django.server import get_server

    server = get_server()
    plugin = server.pluginmanager.get_plugin(name)
    if plugin is None:
        return ""
    source = describe(server.pluginmanager, plugin)
    return " ".join(grant_type for grant_type, entry in server.registry.items() if entry.source == source)


class Command(BaseCommand):
    help = "List the installed grants and extensions with their distribution and version, marking the enabled ones."

    def handle(self, *args: Any, **options: Any) -> None:
        config = conf.get_settings().server
        rows = [("group", "name", "distribution", "version", "enabled", "grant types")]
        problem = None
        for group, enabled in ((GRANTS_GROUP, config.grants), (PLUGINS_GROUP, config.plugins)):
            for entry_point in installed_entry_points(group):
                dist = entry_point.dist
                is_enabled = enabled is None or entry_point.name in enabled
                declared = ""
                if is_enabled and group == GRANTS_GROUP and problem is None:
                    try:
                        declared = _grant_types(entry_point.name)
                    except (ConfigurationError, pluggy.PluginValidationError) as exc:
                        problem = str(exc)
                rows.append(
                    (
                        group,
                        entry_point.name,
                        dist.name if dist is not None else "?",
                        dist.version if dist is not None else "?",
                        "yes" if is_enabled else "no",
                        declared,
                    )
                )
        if len(rows) == 1:
            self.stdout.write("No grants or extensions are installed; pip install one, e.g. oauth2-grant-password.")
            return
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if problem is not None:
            self.stderr.write(f"The server cannot be built: {problem}")
