"""Helpers for the end-to-end tests: run the example's manage.py, serve it with gunicorn, read the answers.

The example project is served the way a deployment would serve it: a separate
gunicorn process with two workers and several threads each, on a free port on
127.0.0.1, so the tests exercise real sockets, real HTTP parsing and real
concurrency against a real database.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = REPO_ROOT / "example"
MANAGE_PY = EXAMPLE_DIR / "manage.py"

#: Generous enough for a cold start on a busy 2-core machine, short enough to fail a hung run.
COMMAND_TIMEOUT = 180
STARTUP_TIMEOUT = 60

_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class Database:
    """Which database the served example uses: ``kind`` is "sqlite" or "postgres"."""

    kind: str
    url: str


def example_environment(database: Database) -> dict[str, str]:
    """The environment for every example process: the demo settings on ``database``.

    ``EXAMPLE_AWS_*`` variables of the calling shell are left out, so the
    served example is the default demo unless a test switches them on.
    """
    environment = {name: value for name, value in os.environ.items() if not name.startswith("EXAMPLE_AWS_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=database.url,
        PYTHONUNBUFFERED="1",
    )
    return environment


def run_manage(
    database: Database, *arguments: str, check: bool = True, environment: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python example/manage.py ARGUMENTS`` against ``database`` and capture its output."""
    completed = subprocess.run(
        [sys.executable, str(MANAGE_PY), *arguments],
        cwd=REPO_ROOT,
        env=example_environment(database) | dict(environment or {}),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(arguments)} exited with {completed.returncode}\n"
            f"--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}"
        )
    return completed


def _gunicorn_command() -> list[str]:
    from gunicorn.config import KNOWN_SETTINGS

    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--chdir",
        str(EXAMPLE_DIR),
        # Port 0: the kernel picks a free port, gunicorn logs which; no race with other test runs.
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "12",
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        # Import Django and the project once, before forking, instead of on
        # each worker's first request (seconds in a fresh, uncompiled virtualenv).
        "--preload",
        "example_project.wsgi:application",
    ]
    # Newer gunicorn opens a control socket at a fixed path in $HOME, which
    # two concurrent test runs would fight over.
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        command.insert(-1, "--no-control-socket")
    return command


@dataclass
class ExampleServer:
    """The example project served by gunicorn on 127.0.0.1; ``base_url`` has no trailing slash.

    ``environment`` adds to the demo settings' environment, e.g. the
    ``EXAMPLE_AWS_*`` variables that switch the aws_identity grant on.
    """

    database: Database
    log_path: Path
    environment: Mapping[str, str] = field(default_factory=dict)
    base_url: str = ""
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth2/access_token"

    @property
    def me_url(self) -> str:
        return f"{self.base_url}/api/me"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        # gunicorn and Django both log to stderr; one file keeps them in order.
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                _gunicorn_command(),
                cwd=REPO_ROOT,
                env=example_environment(self.database) | dict(self.environment),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_serving(self._process)
        except BaseException:
            # Whatever went wrong, leave no server behind.
            self.stop()
            raise

    def _wait_until_serving(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {process.returncode}\n{self.log()}")
            match = _LISTENING.search(self.log())
            if match and self._answers(f"http://127.0.0.1:{match.group(1)}"):
                self.base_url = f"http://127.0.0.1:{match.group(1)}"
                return
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer within {STARTUP_TIMEOUT}s\n{self.log()}")

    @staticmethod
    def _answers(base_url: str) -> bool:
        # A worker's first request imports and byte-compiles the whole stack,
        # which takes seconds in a fresh virtualenv; give it time.
        try:
            requests.get(f"{base_url}/oauth2/access_token", timeout=30)
        except requests.RequestException:
            return False
        return True

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def served_example(
    database: Database, log_path: Path, environment: Mapping[str, str] | None = None
) -> Iterator[ExampleServer]:
    """The example migrated and served for the block; afterwards its log must hold no traceback or error line."""
    run_manage(database, "migrate", "--no-input")
    served = ExampleServer(database, log_path, dict(environment or {}))
    try:
        served.start()
        yield served
    finally:
        served.stop()
    errors = [line for line in served.log().splitlines() if "Traceback" in line or "[ERROR]" in line]
    assert not errors, "the served example logged errors:\n" + served.log()


def json_body(response: requests.Response) -> dict[str, Any]:
    """The JSON object of an answer, failing unless it is a non-5xx ``application/json`` answer."""
    context = f"{response.request.method} {response.url} -> {response.status_code}"
    assert response.status_code < 500, f"{context}: server error\n{response.text[:2000]}"
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    assert media_type == "application/json", f"{context}: Content-Type {media_type!r}\n{response.text[:500]}"
    body = json.loads(response.content)
    assert isinstance(body, dict), f"{context}: the JSON answer is not an object"
    return body


def assert_oauth_error(response: requests.Response, status: int, error: str) -> dict[str, Any]:
    """Check an RFC 6749 5.2 / RFC 6750 3.1 error answer and return its body."""
    body = json_body(response)
    assert (response.status_code, body.get("error")) == (status, error), body
    description = body.get("error_description", "")
    assert isinstance(description, str)
    # RFC 6749 5.2: error_description is printable ASCII without '"' or '\'.
    assert re.fullmatch(r"[\x20\x21\x23-\x5b\x5d-\x7e]*", description), description
    return body


def assert_token_answer(response: requests.Response) -> dict[str, Any]:
    """Check an RFC 6749 5.1 success answer and return its body."""
    body = json_body(response)
    assert response.status_code == 200, body
    assert body["token_type"].lower() == "bearer"
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert response.headers.get("Cache-Control") == "no-store"
    assert response.headers.get("Pragma") == "no-cache"
    return body


@dataclass(frozen=True)
class ClientCredentials:
    """A registered client as a test uses it; ``secret`` is None for a public client."""

    client_id: str
    secret: str | None = field(repr=False)


@dataclass(frozen=True)
class Accounts:
    """The user and clients the tests provision in the served database.

    ``confidential`` may use the password and refresh grants with scopes
    ``read`` and ``write``; ``password_only`` only the password grant;
    ``public`` is a public client limited to the password grant.
    """

    username: str
    password: str = field(repr=False)
    confidential: ClientCredentials
    password_only: ClientCredentials
    public: ClientCredentials
