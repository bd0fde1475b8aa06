"""The host hook the refresh-token grant needs: whether a token's user may still get tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oauth2_core import hookspec

if TYPE_CHECKING:
    from oauth2_core import Client


@hookspec(firstresult=True)
def oauth2_refresh_user_active(user_id: str, client: Client) -> bool | None:
    """Say whether the user a refresh token was issued to may still be given tokens.

    Fires once per refresh request whose token is live and belongs to the
    authenticated client, before anything is written; tokens issued to a
    client alone (no user) skip it. ``user_id`` is the id the issuing grant
    recorded, ``client`` the client asking. Return True when the user still
    exists and may sign in (Django: ``is_active``). False, or ``None`` from
    every implementation, refuses the request with ``invalid_grant`` and
    leaves the token as it is: rotation resumes if the user is let back in.
    """
    raise NotImplementedError
