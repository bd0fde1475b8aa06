"""The host hooks the aws_identity grant needs: replay memory, nonces and the identity mapping.

The grant stays framework-neutral: a host (the Django app, the in-memory
test host) implements these with ``@hookimpl(optionalhook=True)``. The
server refuses to start when a required one is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oauth2_core import hookspec

if TYPE_CHECKING:
    from oauth2_grant_aws_identity.arn import AwsIdentity
    from oauth2_grant_aws_identity.binding import AwsBinding


@hookspec(firstresult=True)
def oauth2_aws_identity_remember(key: str, ttl: int) -> bool:
    """Record ``key`` for ``ttl`` seconds; return True only if it was not already recorded.

    Fires once per aws_identity request that passed every local check, before
    STS is called. ``key`` is a fixed prefix plus the SHA-256 digest of the
    request's SigV4 signature (at most 100 ASCII characters); ``ttl`` covers
    the rest of the request's freshness window. The check-and-record must be
    atomic across processes (Django: ``cache.add``; Redis: ``SET NX EX``), or
    two copies of one signed request sent at once could both get a token.
    Returning False (or None) refuses the request with ``invalid_grant``.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_aws_identity_bind(identity: AwsIdentity) -> AwsBinding | None:
    """Map a confirmed AWS identity to the client, user, scopes and lifetime of its token.

    Fires once per request whose signature STS accepted. ``identity.issuer``
    is ``"aws"`` and ``identity.subject`` the canonical ARN (an assumed-role
    session is reduced to its role, without the role's path). Return the
    binding, or ``None`` when no binding matches: the request then fails with
    ``invalid_grant``. A host that provisions users must create one per
    identity and never attach the identity to an existing, unrelated user.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_aws_identity_store_nonce(nonce: str, ttl: int) -> None:
    """Keep a freshly issued challenge nonce usable for ``ttl`` seconds.

    Fires in challenge mode only, each time a client asks for a challenge.
    ``nonce`` is 43 URL-safe characters from :mod:`secrets`. The return value
    is ignored.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_aws_identity_consume_nonce(nonce: str) -> bool:
    """Use up a challenge nonce: return True only if it was issued, has not expired and was not used before.

    Fires in challenge mode, once per request that passed the local checks
    and the replay check, before STS is called. Must be atomic: of two
    concurrent calls with one nonce, at most one returns True (Django: read the
    key, then trust only the ``delete`` that reports it removed it). False or ``None``
    refuses the request with ``invalid_grant``.
    """
    raise NotImplementedError
