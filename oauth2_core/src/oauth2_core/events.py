"""Security events: what happened at the token endpoint, without any secret.

Each event is logged as a structured record on the ``oauth2.security`` logger
and passed to the ``oauth2_security_event`` hook, which framework adapters
turn into their own signals.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import asdict, dataclass

logger = logging.getLogger("oauth2.security")


class EventKind(enum.StrEnum):
    # Event names, not credentials: bandit's S105 only sees "TOKEN" in the member name.
    TOKEN_ISSUED = "token_issued"  # noqa: S105
    TOKEN_REFUSED = "token_refused"  # noqa: S105
    REFRESH_REUSE = "refresh_reuse"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """One security-relevant outcome. ``token`` is a display prefix, never a whole token."""

    kind: str
    grant_type: str | None = None
    client_id: str | None = None
    user_id: str | None = None
    token: str | None = None
    reason: str | None = None
    client_ip: str | None = None

    def log(self) -> None:
        level = logging.INFO if self.kind == EventKind.TOKEN_ISSUED else logging.WARNING
        if not logger.isEnabledFor(level):
            return  # Nobody would see the record: skip building it (issuance logs one per token).
        fields = {key: value for key, value in asdict(self).items() if value is not None}
        logger.log(
            level,
            "%s %s",
            self.kind,
            " ".join(f"{key}={value}" for key, value in fields.items() if key != "kind"),
            extra={"oauth2_event": fields},
        )
