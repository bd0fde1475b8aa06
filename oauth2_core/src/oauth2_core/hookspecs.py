"""The hooks of the core: grant declaration, host services and the token store.

Host and store hooks are ``firstresult`` and must have exactly one
implementation that is not a wrapper (the server builder checks this);
caching, metrics and tracing wrap them with ``@hookimpl(wrapper=True)``.
Grants that need something from their host add their own specs through
:func:`oauth2_add_hookspecs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from oauth2_core.markers import hookspec

if TYPE_CHECKING:
    import pluggy

    from oauth2_core.clients import Client
    from oauth2_core.config import ServerConfig
    from oauth2_core.events import SecurityEvent
    from oauth2_core.grant import Grant
    from oauth2_core.tokens import AccessTokenRecord, IssuedTokens, RefreshTokenRecord


# -- declaration ------------------------------------------------------------


@hookspec
def oauth2_grant_types(config: ServerConfig) -> Sequence[Grant]:
    """Declare the grant types a plugin provides.

    Fires once while the server is built. ``config`` is the server
    configuration (grant-specific options are in ``config.grant_options``).
    Return the grants; an empty sequence declares none. Two grants with one
    ``grant_type`` make the build fail.
    """
    raise NotImplementedError


@hookspec
def oauth2_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Add a plugin's own hook specifications (e.g. a grant's host hooks).

    Fires once while the server is built, after every plugin is registered
    and before the required implementations are checked.
    """


# -- host services ------------------------------------------------------------


@hookspec(firstresult=True)
def oauth2_host_find_client(client_id: str) -> Client | None:
    """Return the client registered under ``client_id``.

    Fires for every token request that names a client. ``None`` means no
    such client (or a disabled one): the request fails with ``invalid_client``.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_host_transaction() -> AbstractContextManager[None]:
    """Return a context manager that makes the writes of one issuance atomic.

    Fires once per successful token request, around the token-store writes
    and the ``token_issued`` observers: when anything in it raises, nothing it
    wrote may remain. It is never ``None``: a host without transactions
    returns a null context.
    """
    raise NotImplementedError


# -- token store --------------------------------------------------------------


@hookspec(firstresult=True)
def oauth2_store_save_tokens(tokens: IssuedTokens) -> bool:
    """Persist newly issued tokens (``tokens.access`` and, if set, ``tokens.refresh``).

    Fires inside :func:`oauth2_host_transaction` when a grant issues tokens
    that rotate nothing. Only digests reach the store. Return True.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_store_rotate_refresh_token(consumed_digest: str, tokens: IssuedTokens) -> bool:
    """Retire the refresh token ``consumed_digest`` and save ``tokens`` in one step.

    Fires inside :func:`oauth2_host_transaction` for the refresh grant.
    Retiring marks the old refresh token consumed and revokes the access token
    issued with it. It must succeed at most once per token, even under
    concurrent calls: return True when this call retired it and saved the new
    tokens, False (saving nothing) when the token was already consumed,
    revoked or unknown.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_store_find_access_token(digest: str) -> AccessTokenRecord | None:
    """Return the access token stored under ``digest``, expired or revoked ones included.

    Fires when a resource server checks a bearer token. ``None`` means unknown.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_store_find_refresh_token(digest: str) -> RefreshTokenRecord | None:
    """Return the refresh token stored under ``digest``, consumed or revoked ones included.

    Fires for each refresh request. ``None`` means unknown.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def oauth2_store_revoke_family(family_id: str) -> int:
    """Revoke every access and refresh token of the family ``family_id``.

    Fires when a consumed refresh token is presented again (RFC 9700 4.14.2),
    outside any issuance transaction, so the revocation stands even though the
    request fails. Return how many tokens were revoked.
    """
    raise NotImplementedError


# -- observation ----------------------------------------------------------------


@hookspec
def oauth2_security_event(event: SecurityEvent) -> None:
    """Observe a security event (token issued or refused, refresh reuse, throttling).

    Every implementation is called and the return value is ignored. ``event``
    carries no secret, only display prefixes. ``token_issued`` fires inside
    the issuance transaction, after the token-store writes and before the
    log record (written once the transaction has committed): an observer
    that raises rolls the issuance back and the request fails. Every other
    kind fires after its log record, and an exception from an observer
    propagates to the framework adapter.
    """
