"""The grant registry: wire ``grant_type`` to grant, built from the declaration hook."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import pluggy

from oauth2_core.config import ServerConfig
from oauth2_core.errors import ConfigurationError
from oauth2_core.grant import Grant, is_valid_grant_type
from oauth2_core.plugins import describe


@dataclass(frozen=True, slots=True)
class RegisteredGrant:
    grant: Grant
    #: Which plugin declared it, with its distribution: for messages and listings.
    source: str


class GrantRegistry(Mapping[str, RegisteredGrant]):
    """Read-only mapping of grant type to the grant that handles it."""

    def __init__(self, entries: Mapping[str, RegisteredGrant]) -> None:
        self._entries = dict(entries)

    def __getitem__(self, grant_type: str) -> RegisteredGrant:
        return self._entries[grant_type]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def secret_parameters(self) -> frozenset[str]:
        """Every parameter any enabled grant declares secret, plus the client secret."""
        names = {"client_secret"}
        for entry in self._entries.values():
            names |= entry.grant.secret_parameters
        return frozenset(names)

    @classmethod
    def collect(cls, pm: pluggy.PluginManager, config: ServerConfig) -> GrantRegistry:
        """Ask every plugin for its grants, refusing bad and duplicate grant types."""
        entries: dict[str, RegisteredGrant] = {}
        for impl in pm.hook.oauth2_grant_types.get_hookimpls():
            source = describe(pm, impl.plugin)
            arguments = {"config": config}
            result = impl.function(*(arguments[name] for name in impl.argnames))
            declared = cast("Sequence[Grant] | None", result) or ()
            for grant in declared:
                if not isinstance(grant, Grant):
                    raise ConfigurationError(f"{source} declared {grant!r}, which is not an oauth2_core Grant")
                grant_type = getattr(grant, "grant_type", "")
                if not isinstance(grant_type, str) or not is_valid_grant_type(grant_type):
                    raise ConfigurationError(f"{source} declared an invalid grant_type {grant_type!r} (RFC 6749 A.10)")
                if grant_type in entries:
                    raise ConfigurationError(
                        f"grant type {grant_type!r} is declared twice: by {entries[grant_type].source} and by {source}"
                    )
                entries[grant_type] = RegisteredGrant(grant, source)
        return cls(entries)
