"""The quick start's promise: every curl command ``demo_setup`` prints works when pasted into a shell.

The commands are run with the real curl through ``sh -c``, exactly as
printed, against the served example; ``--base-url`` only swaps the demo's
127.0.0.1:8000 for the port this test run got.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from e2e_support import ExampleServer, run_manage


@pytest.fixture(scope="module")
def shell_curl() -> None:
    if shutil.which("curl") is None or shutil.which("sh") is None:
        message = "curl and sh are needed to run the printed demo commands; install curl"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _curl_commands(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith("curl ")]


def _paste(command: str) -> dict[str, object]:
    completed = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, f"{command}\nexit {completed.returncode}: {completed.stderr}"
    answer = json.loads(completed.stdout)
    assert isinstance(answer, dict)
    return answer


def _run_demo_setup(server: ExampleServer) -> str:
    return run_manage(server.database, "demo_setup", "--base-url", server.base_url).stdout


def test_printed_curl_commands_work_as_printed(server: ExampleServer, shell_curl: None) -> None:
    output = _run_demo_setup(server)
    commands = _curl_commands(output)
    assert len(commands) == 3, output
    password_grant, refresh_grant, api = commands
    assert "grant_type=password" in password_grant
    assert "grant_type=refresh_token" in refresh_grant
    assert "/api/me" in api

    issued = _paste(password_grant)
    assert issued["token_type"] == "Bearer" and issued["access_token"] and issued["refresh_token"]
    refreshed = _paste(refresh_grant)
    assert refreshed["token_type"] == "Bearer" and refreshed["access_token"]
    # The API call must still work after the refresh command ran before it.
    me = _paste(api)
    assert me["user"] == "demo"
    assert me["scope"] == "read"
    assert isinstance(me["client"], str) and me["client"] in password_grant


def test_demo_setup_runs_again_with_fresh_credentials(server: ExampleServer, shell_curl: None) -> None:
    before = _curl_commands(_run_demo_setup(server))
    after = _curl_commands(_run_demo_setup(server))
    # Running it again replaces the printed secret and password, so only the
    # newest printout works, and it works in full.
    assert before[0] != after[0]
    stale = subprocess.run(["sh", "-c", before[0]], capture_output=True, text=True, timeout=60, check=False)
    assert json.loads(stale.stdout)["error"] in {"invalid_client", "invalid_grant"}
    for command in after:
        assert "error" not in _paste(command)


def test_demo_setup_prints_commands_for_the_default_address(server: ExampleServer) -> None:
    output = run_manage(server.database, "demo_setup").stdout
    commands = _curl_commands(output)
    assert len(commands) == 3
    assert all("http://127.0.0.1:8000/" in command for command in commands), output
