"""``oauth2-aws-identity-token``: sign with the AWS credentials in the environment, print the token JSON.

Exit status 0 with the token JSON on stdout; 1 with the server's JSON error
(or a message) on stderr. Credentials come from ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``, never from the command
line, where other users of the machine could read them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence

from oauth2_grant_aws_identity.client import (
    AwsCredentials,
    ClientError,
    build_token_parameters,
    fetch_challenge,
    request_token,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oauth2-aws-identity-token",
        description="Trade the AWS identity in the environment for an OAuth 2.0 access token.",
    )
    parser.add_argument("--token-url", required=True, help="the server's token endpoint")
    parser.add_argument("--region", required=True, help="the AWS region whose STS signs the request, e.g. us-east-1")
    parser.add_argument("--server-id", help="the server ID the server expects (its issuer URL, typically)")
    parser.add_argument("--server-id-header", default="X-OAuth2-Server-ID", help="header that carries the server ID")
    parser.add_argument("--challenge-url", help="fetch a one-time nonce here first (servers in challenge mode)")
    parser.add_argument("--scope", help="space-separated scopes to ask for")
    parser.add_argument("--sts-endpoint", help="sign for this STS endpoint instead of AWS (tests only)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each server answer")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        credentials = AwsCredentials.from_environment(environ)
        challenge: str | None = None
        challenge_header = "X-OAuth2-Challenge"
        if args.challenge_url:
            challenge, challenge_header = fetch_challenge(args.challenge_url, timeout=args.timeout)
        form = build_token_parameters(
            credentials,
            region=args.region,
            server_id=args.server_id,
            server_id_header=args.server_id_header,
            sts_endpoint=args.sts_endpoint,
            challenge=challenge,
            challenge_header=challenge_header,
            scope=args.scope,
        )
        status, body = request_token(args.token_url, form, timeout=args.timeout)
    except ClientError as exc:
        print(f"oauth2-aws-identity-token: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(json.dumps(body), file=sys.stderr)
        return 1
    print(json.dumps(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
