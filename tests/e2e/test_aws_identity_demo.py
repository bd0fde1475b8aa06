"""The README's aws_identity run, for real: moto verifies signatures, the example serves the grant over HTTP.

moto runs in server mode on loopback with ``INITIAL_NO_AUTH_ACTION_COUNT=2``:
``example/moto_demo_user.py`` makes the IAM user and its access key with the
two unsigned calls, and from then on moto checks every signature. The
example is served by gunicorn with the ``EXAMPLE_AWS_*`` variables, the
binding comes from ``demo_setup --aws-arn``, and the token from the
``oauth2-aws-identity-token`` command that demo_setup prints, run through
``sh -c`` exactly as printed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from e2e_support import EXAMPLE_DIR, Database, ExampleServer, json_body, run_manage, served_example

DEMO_ARN = "arn:aws:iam::123456789012:user/demo"
#: Not the settings' default, so a passing run shows the variable reaches both the server and the printout.
SERVER_ID = "https://e2e.example.test"
HELPER = "oauth2-aws-identity-token"
BIN_DIR = Path(sys.executable).parent


@dataclass(frozen=True)
class Moto:
    """The moto server and the demo IAM user's credentials, as ``AWS_*`` variables."""

    url: str
    credentials: dict[str, str] = field(repr=False)


def _require(program: str, why: str) -> None:
    if shutil.which(program) is None and not (BIN_DIR / program).is_file():
        message = f"{program} is needed {why}; install it (the e2e nox session does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _exports(script_output: str) -> dict[str, str]:
    """The ``export NAME=value`` lines moto_demo_user.py prints for ``eval``."""
    found = {}
    for line in script_output.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export":
            name, _, value = words[1].partition("=")
            found[name] = value
    return found


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    """moto_server on loopback that accepts two unsigned calls, with the demo user made by the README's script."""
    _require("moto_server", "to verify the signed requests")
    program = shutil.which("moto_server") or str(BIN_DIR / "moto_server")
    url = f"http://127.0.0.1:{_free_port()}"
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [program, "-H", "127.0.0.1", "-p", url.rpartition(":")[2]],
            env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "2"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        # The script waits for moto to answer, as it does when pasted right after starting moto.
        created = subprocess.run(
            [sys.executable, str(EXAMPLE_DIR / "moto_demo_user.py"), "--endpoint", url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert created.returncode == 0, f"{created.stderr}\n--- moto log\n{log_path.read_text(errors='replace')}"
        assert DEMO_ARN in created.stderr
        credentials = _exports(created.stdout)
        assert set(credentials) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, "unexpected export lines"
        assert "unset AWS_SESSION_TOKEN" in created.stdout
        yield Moto(url + "/", credentials)
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def aws_environment(moto: Moto) -> dict[str, str]:
    """The variables of example/README.md that switch the grant on and point it at moto."""
    return {
        "EXAMPLE_AWS_IDENTITY": "1",
        "EXAMPLE_AWS_STS_ENDPOINT": moto.url,
        "EXAMPLE_AWS_REGIONS": "us-east-1",
        "EXAMPLE_AWS_SERVER_ID": SERVER_ID,
    }


@pytest.fixture(scope="module")
def aws_server(
    database: Database, aws_environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ExampleServer]:
    """A second gunicorn on the e2e database, serving the example with aws_identity enabled."""
    with served_example(database, tmp_path_factory.mktemp("e2e-aws") / "gunicorn.log", aws_environment) as served:
        yield served


def _demo_setup(server: ExampleServer, environment: dict[str, str], *options: str) -> str:
    return run_manage(
        server.database, "demo_setup", "--base-url", server.base_url, *options, environment=environment
    ).stdout


def _helper_command(output: str) -> str:
    commands = [line.strip() for line in output.splitlines() if line.strip().startswith(HELPER + " ")]
    assert len(commands) == 1, output
    return commands[0]


def _run_helper(command: str, credentials: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The printed command through ``sh -c``, with the credentials where the helper reads them."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment |= credentials
    environment["PATH"] = f"{BIN_DIR}{os.pathsep}{environment.get('PATH', '')}"
    return subprocess.run(
        ["sh", "-c", command], env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_printed_helper_command_gets_a_token_for_the_bound_demo_user(
    aws_server: ExampleServer, aws_environment: dict[str, str], moto: Moto
) -> None:
    _require(HELPER, "to sign the request")
    command = _helper_command(_demo_setup(aws_server, aws_environment, "--aws-arn", DEMO_ARN))
    for expected in (aws_server.token_url, SERVER_ID, moto.url, "--region us-east-1"):
        assert expected in command, command

    completed = _run_helper(command, moto.credentials)
    assert completed.returncode == 0, completed.stderr
    issued = json.loads(completed.stdout)
    assert issued["token_type"] == "Bearer" and issued["access_token"]
    assert issued["scope"] == "read write"
    assert "refresh_token" not in issued

    me = requests.get(aws_server.me_url, headers={"Authorization": f"Bearer {issued['access_token']}"}, timeout=30)
    assert me.status_code == 200, me.text
    assert json_body(me) == {"user": "demo", "client": "demo-client", "scope": "read write"}

    # Each run signs a new request, so running the same command again gets another token. Two requests
    # signed in the same second are identical (X-Amz-Date has whole seconds), and the second is a replay.
    time.sleep(1.1)
    again = _run_helper(command, moto.credentials)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["access_token"] != issued["access_token"]


def test_moto_refuses_a_wrong_secret_through_the_example(
    aws_server: ExampleServer, aws_environment: dict[str, str], moto: Moto
) -> None:
    _require(HELPER, "to sign the request")
    command = _helper_command(_demo_setup(aws_server, aws_environment, "--aws-arn", DEMO_ARN))
    wrong = moto.credentials | {"AWS_SECRET_ACCESS_KEY": "x" * 40}
    completed = _run_helper(command, wrong)
    assert completed.returncode == 1
    assert json.loads(completed.stderr)["error"] == "invalid_grant"
    assert wrong["AWS_SECRET_ACCESS_KEY"] not in completed.stdout + completed.stderr


def test_demo_setup_without_the_arn_takes_the_access_away(
    aws_server: ExampleServer, aws_environment: dict[str, str], moto: Moto
) -> None:
    _require(HELPER, "to sign the request")
    command = _helper_command(_demo_setup(aws_server, aws_environment, "--aws-arn", DEMO_ARN))
    reset = _demo_setup(aws_server, aws_environment)
    assert HELPER not in reset
    assert "grants: password, refresh_token)" in reset
    completed = _run_helper(command, moto.credentials)
    assert completed.returncode == 1
    assert json.loads(completed.stderr)["error"] == "invalid_grant"


def test_aws_arn_needs_the_grant_enabled(database: Database) -> None:
    run_manage(database, "migrate", "--no-input")
    completed = run_manage(database, "demo_setup", "--aws-arn", DEMO_ARN, check=False)
    assert completed.returncode != 0
    assert "EXAMPLE_AWS_IDENTITY=1" in completed.stderr


def test_example_refuses_an_unclear_switch(database: Database) -> None:
    completed = run_manage(database, "check", check=False, environment={"EXAMPLE_AWS_IDENTITY": "yes"})
    assert completed.returncode != 0
    assert "EXAMPLE_AWS_IDENTITY is 'yes'" in completed.stderr
