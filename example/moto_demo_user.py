"""Create the IAM user ``demo`` and an access key in a moto server, and print them as shell ``export`` lines.

For trying the aws_identity grant without an AWS account (README: "Trying the
aws_identity grant"). Start moto with ``INITIAL_NO_AUTH_ACTION_COUNT=2``: the
two IAM calls made here are the only unsigned calls it accepts, so every
later ``GetCallerIdentity`` the example forwards to it has its signature
checked against this key. Use it as::

    eval "$(python example/moto_demo_user.py --endpoint http://127.0.0.1:5000)"

The secret goes to stdout for ``eval`` only; it is a key of the local moto
server, worthless anywhere else. The user's ARN goes to stderr.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import boto3
import requests

#: The IAM calls made below; moto must accept exactly this many without a signature.
UNSIGNED_SETUP_CALLS = 2
STARTUP_TIMEOUT = 30.0


def wait_for_moto(endpoint: str) -> None:
    """Return once moto answers on ``endpoint``: it may still be starting when this script runs."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            requests.get(f"{endpoint}/moto-api/", timeout=2)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                message = f"moto_demo_user: no moto server answered at {endpoint} within {STARTUP_TIMEOUT:g}s"
                raise SystemExit(message) from None
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:5000", help="the moto server (default: %(default)s)")
    parser.add_argument("--user-name", default="demo", help="the IAM user to create (default: %(default)s)")
    args = parser.parse_args(argv)
    endpoint = args.endpoint.rstrip("/")
    if not endpoint.startswith(("http://", "https://")):
        parser.error(f"--endpoint must be the moto server's URL, e.g. http://127.0.0.1:5000, not {endpoint!r}")
    wait_for_moto(endpoint)
    # Any key will do while moto is still counting unsigned calls; explicit
    # keys keep boto3 from looking for real AWS credentials on this machine.
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="setup",
        aws_secret_access_key="setup",  # noqa: S106 -- not a secret: moto does not check it yet
    )
    arn = iam.create_user(UserName=args.user_name)["User"]["Arn"]
    key = iam.create_access_key(UserName=args.user_name)["AccessKey"]
    print(f"export AWS_ACCESS_KEY_ID={shlex.quote(key['AccessKeyId'])}")
    print(f"export AWS_SECRET_ACCESS_KEY={shlex.quote(key['SecretAccessKey'])}")
    # A session token left over from real AWS credentials would be signed along and refused.
    print("unset AWS_SESSION_TOKEN")
    print(f"moto_demo_user: created IAM user {arn} with access key {key['AccessKeyId']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
