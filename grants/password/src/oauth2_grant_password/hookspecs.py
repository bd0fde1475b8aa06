"""The host hook the password grant needs: checking a username and password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oauth2_core import hookspec

if TYPE_CHECKING:
    from oauth2_core import Client


@hookspec(firstresult=True)
def oauth2_password_authenticate(username: str, password: str, client: Client) -> str | None:
    """Check a resource owner's username and password for a password-grant request.

    Fires once per password-grant request, after the client is authenticated.
    ``client`` is the client asking. Return the user's id as a string, or
    ``None`` when the credentials are wrong or the user may not sign in; the
    request then fails with ``invalid_grant``. Hosts should run their password
    hasher even for unknown usernames, so timing does not reveal which exist.
    """
    raise NotImplementedError
