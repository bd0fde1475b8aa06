"""The challenge endpoint of challenge mode, framework-neutral like the token endpoint.

A client POSTs here (no body needed) and gets ``{"nonce", "expires_in",
"header"}``; it signs the nonce in that header of its GetCallerIdentity
request, which makes the request usable once and only within the nonce's
lifetime, however the client's clock is set. A framework adapter routes a
URL to :func:`handle_challenge_request` and copies the response out.
"""

from __future__ import annotations

import json

from oauth2_core import Server, TokenResponse
from oauth2_core.endpoint import NO_STORE, error_response
from oauth2_core.errors import OAuth2Error
from oauth2_grant_aws_identity.grant import GRANT_TYPE, ChallengeAwsIdentityGrant


def challenge_enabled(server: Server) -> bool:
    """Whether the aws_identity grant is enabled on ``server`` in challenge mode."""
    entry = server.registry.get(GRANT_TYPE)
    return entry is not None and isinstance(entry.grant, ChallengeAwsIdentityGrant)


def handle_challenge_request(server: Server, method: str) -> TokenResponse:
    """Issue one nonce; a JSON error when the method is not POST or challenge mode is off."""
    try:
        if method.upper() != "POST":
            raise OAuth2Error("the challenge endpoint accepts POST only", status=405, headers={"Allow": "POST"})
        entry = server.registry.get(GRANT_TYPE)
        if entry is None or not isinstance(entry.grant, ChallengeAwsIdentityGrant):
            raise OAuth2Error("challenge mode of the aws_identity grant is not enabled on this server", status=404)
        challenge = entry.grant.issue_challenge(server.hooks)
    except OAuth2Error as error:
        return error_response(error)
    headers = (("Content-Type", "application/json"), *NO_STORE)
    return TokenResponse(200, headers, json.dumps(challenge.as_dict()).encode())
