"""Subprocesses that run inside a system's virtualenv: the setup step and the JSON-lines measurement worker."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.systems import BENCH_ROOT

WORKER_DIR = BENCH_ROOT / "worker"


class WorkerError(RuntimeError):
    pass


@dataclass(frozen=True)
class Target:
    """One system with one hasher: its interpreter, its database and the environment that selects both."""

    system: str
    hasher: str
    python: Path
    database: str
    state: Path
    log: Path

    @property
    def name(self) -> str:
        return f"{self.system}/{self.hasher}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"BENCH_DB": self.database, "BENCH_HASHER": self.hasher})
        return env


def run_script(target: Target, script: str, *args: str, timeout: float = 600) -> dict[str, Any]:
    """Run a worker script to completion and return the JSON object it printed last."""
    with target.log.open("a") as log:
        finished = subprocess.run(
            [str(target.python), str(WORKER_DIR / script), "--system", target.system, *args],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=target.env(),
            timeout=timeout,
            check=False,
        )
    if finished.returncode != 0:
        tail = "\n".join(target.log.read_text().splitlines()[-20:])
        raise WorkerError(f"{target.name}: {script} failed with exit code {finished.returncode}:\n{tail}")
    lines = [line for line in finished.stdout.splitlines() if line.strip()]
    if not lines:
        raise WorkerError(f"{target.name}: {script} printed no result; see {target.log}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


class Worker:
    """A long-lived ``inprocess.py`` for one target, spoken to in JSON lines."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._log = target.log.open("a")
        self._process = subprocess.Popen(
            [
                str(target.python),
                str(WORKER_DIR / "inprocess.py"),
                "--system",
                target.system,
                "--state",
                str(target.state),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=target.env(),
        )
        if self._process.stdin is None or self._process.stdout is None:
            raise WorkerError(f"{target.name}: the worker's pipes did not open")
        self._stdin, self._stdout = self._process.stdin, self._process.stdout
        self._read()

    def _read(self) -> dict[str, Any]:
        line = self._stdout.readline()
        if not line:
            self._process.wait(timeout=10)
            tail = "\n".join(self.target.log.read_text().splitlines()[-20:])
            raise WorkerError(f"{self.target.name}: the worker exited ({self._process.returncode}):\n{tail}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise WorkerError(f"{self.target.name}: {answer['error']}")
        return answer

    def ask(self, cmd: str, **fields: Any) -> dict[str, Any]:
        self._stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self._stdin.flush()
        return self._read()

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self._stdin.close()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        self._log.close()
