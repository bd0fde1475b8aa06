"""What the host answers when asked which client and user an AWS identity stands for."""

from __future__ import annotations

from dataclasses import dataclass

from oauth2_core import Client


@dataclass(frozen=True, slots=True)
class AwsBinding:
    """The outcome of mapping an AWS identity.

    ``client`` receives the token and must allow the ``aws_identity`` grant
    type. ``user_id`` is the user the token acts for: an existing user the
    binding names, one the host provisioned for this identity, or None for a
    token that acts for the client alone. ``scopes`` caps what the token may
    carry (further narrowed to the client's scopes); ``max_lifetime`` caps
    its lifetime in seconds below the server's setting (None: no extra cap).
    """

    client: Client
    user_id: str | None
    scopes: frozenset[str]
    max_lifetime: int | None = None

    def __post_init__(self) -> None:
        if self.max_lifetime is not None and self.max_lifetime <= 0:
            raise ValueError("AwsBinding.max_lifetime must be a positive number of seconds or None")
