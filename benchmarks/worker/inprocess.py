"""In-process measurement server for one system: Django's test client, driven by JSON lines.

The driver starts one of these per system and hasher inside that system's
virtualenv and writes one JSON command per line on stdin; each answer is one
JSON line on stdout (everything else the process prints goes to stderr).

Commands:

- ``{"cmd": "time", "scenario": S, "n": N}``: run S N times, answer the
  nanoseconds of each request (only the test-client call is timed; refresh
  tokens are taken from a pool topped up before the timed loop).
- ``{"cmd": "count", "scenario": S}``: one request under
  ``CaptureQueriesContext``; answer the queries and the writes
  (INSERT/UPDATE/DELETE).
- ``{"cmd": "floor", "n": N}``: time one check of the user's password
  against its stored hash, the floor for a password grant.
- ``{"cmd": "specs"}``: the request specs, for the HTTP load.
- ``{"cmd": "mint_refresh", "n": N}``: N unused refresh tokens, for the HTTP load.
- ``{"cmd": "quit"}``.

A request answered with an unexpected status is an error, not a data point.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from bootstrap import setup_django

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class Measurer:
    def __init__(self, adapter: Any, state: dict[str, Any]) -> None:
        from benchcommon.fixture import USERNAME
        from django.contrib.auth import get_user_model
        from django.test import Client
        from scenarios import REFRESH_PLACEHOLDER, build_specs

        self.adapter = adapter
        self.client = Client()
        self.specs = build_specs(state, adapter.TOKEN_PATH, adapter.INVALID_TOKEN_STATUS)
        self.refresh_pool: list[str] = list(state.get("refresh_tokens", []))
        self.user = get_user_model().objects.get(username=USERNAME)
        self.placeholder = REFRESH_PLACEHOLDER

    def ensure_refresh(self, n: int) -> None:
        if len(self.refresh_pool) < n:
            self.refresh_pool.extend(self.adapter.prepare_refresh_tokens(self.user, n - len(self.refresh_pool)))

    def request_args(self, scenario: str) -> tuple[str, str, str, dict[str, str]]:
        spec = self.specs[scenario]
        body = spec.body
        if scenario == "refresh":
            body = body.replace(self.placeholder, quote(self.refresh_pool.pop(), safe=""))
        extra = {}
        if "Authorization" in spec.headers:
            extra["HTTP_AUTHORIZATION"] = spec.headers["Authorization"]
        return spec.method, spec.path, body, extra

    def one(self, scenario: str) -> tuple[int, int]:
        method, path, body, extra = self.request_args(scenario)
        content_type = self.specs[scenario].headers.get("Content-Type", "application/octet-stream")
        client = self.client
        started = time.perf_counter_ns()
        response = client.generic(method, path, body, content_type=content_type, **extra)
        elapsed = time.perf_counter_ns() - started
        # No system may ride on a cookie an earlier request left behind.
        client.cookies.clear()
        expected = self.specs[scenario].expected_status
        if response.status_code != expected:
            raise RuntimeError(
                f"{self.adapter.NAME} {scenario}: expected HTTP {expected}, got {response.status_code}: "
                f"{response.content[:300]!r}"
            )
        return elapsed, response.status_code

    def time(self, scenario: str, n: int) -> dict[str, Any]:
        if scenario == "refresh":
            self.ensure_refresh(n)
        return {"ns": [self.one(scenario)[0] for _ in range(n)]}

    def count(self, scenario: str) -> dict[str, Any]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        if scenario == "refresh":
            self.ensure_refresh(1)
        with CaptureQueriesContext(connection) as captured:
            self.one(scenario)
        statements = [query["sql"] for query in captured.captured_queries]
        writes = [sql for sql in statements if sql.lstrip().upper().startswith(WRITE_VERBS)]
        return {
            "queries": len(statements),
            "writes": len(writes),
            "statements": [_shorten(sql) for sql in statements],
        }

    def floor(self, n: int) -> dict[str, Any]:
        from benchcommon.fixture import PASSWORD
        from django.contrib.auth.hashers import check_password

        encoded = self.user.password
        samples = []
        for _ in range(n):
            started = time.perf_counter_ns()
            ok = check_password(PASSWORD, encoded)
            samples.append(time.perf_counter_ns() - started)
            if not ok:
                raise RuntimeError("the fixture user's password did not check; the setup step is broken")
        return {"ns": samples}

    def mint_refresh(self, n: int) -> dict[str, Any]:
        return {"tokens": self.adapter.prepare_refresh_tokens(self.user, n)}


def _shorten(sql: str, limit: int = 160) -> str:
    return sql if len(sql) <= limit else sql[: limit - 3] + "..."


def serve(measurer: Measurer, out: TextIO) -> None:
    handlers = {
        "time": lambda c: measurer.time(c["scenario"], int(c["n"])),
        "count": lambda c: measurer.count(c["scenario"]),
        "floor": lambda c: measurer.floor(int(c["n"])),
        "specs": lambda c: {"specs": {k: v.as_dict() for k, v in measurer.specs.items()}},
        "mint_refresh": lambda c: measurer.mint_refresh(int(c["n"])),
    }
    out.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    out.flush()
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "quit":
            break
        try:
            answer = handlers[command["cmd"]](command)
        except Exception as error:
            answer = {"error": f"{type(error).__name__}: {error}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args()
    # The protocol owns the real stdout; anything a library prints lands on stderr instead.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr
    adapter = setup_django(args.system)
    state = json.loads(args.state.read_text())
    serve(Measurer(adapter, state), protocol)


if __name__ == "__main__":
    main()
