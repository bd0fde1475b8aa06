"""The one project name shared by the plugin manager, its markers and entry-point groups."""

from __future__ import annotations

import pluggy

NAME = "oauth2_core"
#: Entry-point group of grant plugins; entry-point names are what settings enable.
GRANTS_GROUP = "oauth2_core.grants"
#: Entry-point group of other extensions: token stores, store wrappers, policy.
PLUGINS_GROUP = "oauth2_core.plugins"

hookspec = pluggy.HookspecMarker(NAME)
hookimpl = pluggy.HookimplMarker(NAME)
