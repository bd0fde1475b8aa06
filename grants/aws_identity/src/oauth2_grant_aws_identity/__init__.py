"""The aws_identity grant as an oauth2_core plugin (entry point ``aws_identity``).

A workload proves its AWS identity with a SigV4-signed STS GetCallerIdentity
request; the server replays it to STS and maps the confirmed ARN to a client
and user through the host hooks in :mod:`oauth2_grant_aws_identity.hookspecs`.
The client side lives in :mod:`oauth2_grant_aws_identity.client`.
"""

from oauth2_grant_aws_identity.arn import ISSUER, AwsIdentity, PrincipalType, parse_caller_arn
from oauth2_grant_aws_identity.binding import AwsBinding
from oauth2_grant_aws_identity.challenge import challenge_enabled, handle_challenge_request
from oauth2_grant_aws_identity.grant import (
    GRANT_TYPE,
    POST_BODY,
    AwsIdentityGrant,
    AwsIdentityRequest,
    Challenge,
    ChallengeAwsIdentityGrant,
    options_from_config,
)
from oauth2_grant_aws_identity.options import AwsIdentityOptions

__all__ = [
    "GRANT_TYPE",
    "ISSUER",
    "POST_BODY",
    "AwsBinding",
    "AwsIdentity",
    "AwsIdentityGrant",
    "AwsIdentityOptions",
    "AwsIdentityRequest",
    "Challenge",
    "ChallengeAwsIdentityGrant",
    "PrincipalType",
    "challenge_enabled",
    "handle_challenge_request",
    "options_from_config",
    "parse_caller_arn",
]
