"""A real SigV4 verifier for tests: ``moto_server`` on 127.0.0.1 with an IAM account set up in it.

Shared by this grant's tests and by any host's tests (oauth2_django uses it),
so nobody needs AWS to prove the grant end to end. Needs the grant's ``test``
extra (``moto[server]`` and ``boto3``); nothing else in the package imports it.

moto starts with ``INITIAL_NO_AUTH_ACTION_COUNT`` set to the number of IAM
calls the set-up makes; from the next call on, GetCallerIdentity included,
every request must carry a valid signature by one of the keys created here.
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
from botocore.credentials import Credentials

REGION = "us-east-1"
ACCOUNT = "123456789012"
#: The principals the set-up creates, as STS reports them.
ALICE = f"arn:aws:iam::{ACCOUNT}:user/team/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
#: The role /ci/deployer; STS names its sessions without the path, so bindings use this form.
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"
ROLE_SESSION_NAME = "build-7"


@dataclass(frozen=True)
class LoopbackSts:
    """A running moto server and credentials for the principals in it."""

    url: str  # with the trailing slash, as the grant's sts_endpoint option wants it
    host: str  # host:port, what a signature's Host header must name
    alice: Credentials  # IAM user with path /team/
    bob: Credentials  # IAM user without path, allowed to assume the role
    role_session: Credentials  # bob's session in role /ci/deployer


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


#: The unsigned IAM calls _set_up makes; must match it exactly.
SETUP_CALLS = 6


def _set_up(url: str) -> tuple[Credentials, Credentials]:
    import boto3

    unsigned = {"aws_access_key_id": "setup", "aws_secret_access_key": "setup"}  # moto checks none of these calls
    iam = boto3.client("iam", endpoint_url=url, region_name=REGION, **unsigned)
    iam.create_user(UserName="alice", Path="/team/")
    alice = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.create_user(UserName="bob")
    bob = iam.create_access_key(UserName="bob")["AccessKey"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": BOB}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="deployer", Path="/ci/", AssumeRolePolicyDocument=json.dumps(trust))
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    iam.put_user_policy(UserName="bob", PolicyName="assume", PolicyDocument=json.dumps(allow))
    return (
        Credentials(alice["AccessKeyId"], alice["SecretAccessKey"]),
        Credentials(bob["AccessKeyId"], bob["SecretAccessKey"]),
    )


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


@contextmanager
def loopback_sts() -> Iterator[LoopbackSts]:
    """``moto_server`` as a child process on 127.0.0.1; stopped on exit."""
    import boto3

    port = free_port()
    process = subprocess.Popen(  # noqa: S603 -- a fixed program next to this interpreter, no client text
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        alice, bob = _set_up(url)
        sts = boto3.client(
            "sts",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id=bob.access_key,
            aws_secret_access_key=bob.secret_key,
        )
        granted = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/ci/deployer", RoleSessionName=ROLE_SESSION_NAME)
        session = granted["Credentials"]
        yield LoopbackSts(
            url=url + "/",
            host=f"127.0.0.1:{port}",
            alice=alice,
            bob=bob,
            role_session=Credentials(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]),
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
