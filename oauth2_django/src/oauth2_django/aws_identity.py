"""The aws_identity grant's host hooks on Django: bindings from the database, one-time values in the cache.

Registered with the server next to :mod:`oauth2_django.host`. Every hook is
optional, so nothing here is imported from the grant at import time and the
app works without the grant installed; the server checks that the hooks the
enabled grant needs are implemented exactly once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from oauth2_core import hookimpl
from oauth2_core.errors import InvalidGrant, TemporarilyUnavailable
from oauth2_core.tokens import digest
from oauth2_django import federation, host, replay
from oauth2_django.issuers import AWS

if TYPE_CHECKING:
    from oauth2_grant_aws_identity import AwsBinding, AwsIdentity

logger = logging.getLogger("oauth2_django.federation")

#: Nonces are kept by digest, like every other one-time value we hold.
NONCE_KEY_PREFIX = "oauth2:aws_identity:nonce:"


@hookimpl(optionalhook=True)
def oauth2_aws_identity_remember(key: str, ttl: int) -> bool:
    return replay.remember(key, ttl)


@hookimpl(optionalhook=True)
def oauth2_aws_identity_store_nonce(nonce: str, ttl: int) -> None:
    replay.store(NONCE_KEY_PREFIX + digest(nonce), ttl)


@hookimpl(optionalhook=True)
def oauth2_aws_identity_consume_nonce(nonce: str) -> bool:
    return replay.consume(NONCE_KEY_PREFIX + digest(nonce))


@hookimpl(optionalhook=True)
def oauth2_aws_identity_bind(identity: AwsIdentity) -> AwsBinding | None:
    from oauth2_grant_aws_identity import AwsBinding

    try:
        resolution = federation.resolve(AWS.name, identity.subject)
    except federation.AmbiguousBinding as exc:
        logger.error("federated bindings conflict: %s", exc)
        raise InvalidGrant(
            "this AWS identity matches several bindings with equal precedence; the server administrator "
            "must make one of them more specific"
        ) from None
    except federation.ProvisioningFailed as exc:
        logger.error("%s", exc)
        raise TemporarilyUnavailable("no user could be set up for this AWS identity; try again later") from None
    if resolution is None:
        return None
    client = host.oauth2_host_find_client(resolution.client_id)
    if client is None:
        logger.info(
            "federated identity refused: binding #%s names inactive client %s subject=%s",
            resolution.binding_id,
            resolution.client_id,
            identity.subject,
        )
        return None
    return AwsBinding(
        client=client,
        user_id=resolution.user_id,
        scopes=resolution.scopes,
        max_lifetime=resolution.max_lifetime,
    )
