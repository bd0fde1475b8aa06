"""A real SigV4 verifier for the aws_identity tests: ``moto_server`` on 127.0.0.1, and request signers.

moto starts with ``INITIAL_NO_AUTH_ACTION_COUNT`` equal to the number of
IAM calls made to set it up; after those, every call, GetCallerIdentity
included, must carry a valid signature by one of the access keys created.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"
ACCOUNT = "123456789012"
SERVER_ID = "https://auth.django.test"
POST_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"

CAROL = f"arn:aws:iam::{ACCOUNT}:user/ops/carol"
DAVE = f"arn:aws:iam::{ACCOUNT}:user/dave"
BUILDER = f"arn:aws:iam::{ACCOUNT}:role/builder"  # the role /ci/builder, named as its sessions are


@dataclass(frozen=True)
class MotoSts:
    """A running moto server and the principals created in it."""

    url: str
    host: str
    carol: Credentials  # IAM user with path /ops/
    dave: Credentials  # IAM user without path, allowed to assume the role
    builder_session: Credentials  # dave's session in role /ci/builder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    return f"http://127.0.0.1:{free_port()}/"


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url + "/moto-api/", timeout=1)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("moto_server did not start on 127.0.0.1") from None
            time.sleep(0.1)


#: The unauthenticated set-up calls below; moto checks signatures from the next call on.
SETUP_CALLS = 6


def _set_up(url: str) -> tuple[Credentials, Credentials]:
    import boto3

    iam = boto3.client(
        "iam", endpoint_url=url, region_name=REGION, aws_access_key_id="setup", aws_secret_access_key="setup"
    )
    iam.create_user(UserName="carol", Path="/ops/")
    carol = iam.create_access_key(UserName="carol")["AccessKey"]
    iam.create_user(UserName="dave")
    dave = iam.create_access_key(UserName="dave")["AccessKey"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": DAVE}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="builder", Path="/ci/", AssumeRolePolicyDocument=json.dumps(trust))
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    iam.put_user_policy(UserName="dave", PolicyName="assume", PolicyDocument=json.dumps(allow))
    return (
        Credentials(carol["AccessKeyId"], carol["SecretAccessKey"]),
        Credentials(dave["AccessKeyId"], dave["SecretAccessKey"]),
    )


@contextmanager
def moto_sts() -> Iterator[MotoSts]:
    import boto3

    port = free_port()
    program = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(program), "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        carol, dave = _set_up(url)
        sts = boto3.client(
            "sts",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id=dave.access_key,
            aws_secret_access_key=dave.secret_key,
        )
        granted = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/ci/builder", RoleSessionName="job-42")
        session = granted["Credentials"]
        yield MotoSts(
            url=url + "/",
            host=f"127.0.0.1:{port}",
            carol=carol,
            dave=dave,
            builder_session=Credentials(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]),
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def sign(credentials: Credentials, host: str, *, extra: dict[str, str] | None = None) -> dict[str, str]:
    """GetCallerIdentity headers signed with botocore's SigV4Auth for ``host``, server ID included."""
    headers = {"Content-Type": FORM_TYPE, "X-OAuth2-Server-ID": SERVER_ID, **(extra or {})}
    request = AWSRequest(method="POST", url=f"http://{host}/", data=POST_BODY, headers=headers)
    SigV4Auth(credentials, "sts", REGION).add_auth(request)
    return dict(request.headers.items())


def token_form(headers: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        "grant_type": "aws_identity",
        "region": REGION,
        "post_body": POST_BODY,
        "headers_json": json.dumps(headers),
        **extra,
    }
