"""A gunicorn server for one target on a free loopback port, and its workers' memory read from /proc."""

from __future__ import annotations

import http.client
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType

from harness.loadgen import LOOPBACK
from harness.systems import BENCH_ROOT
from harness.workers import Target

PROJECTS = BENCH_ROOT / "projects"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _status_kib(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except FileNotFoundError:
        return []
    return sorted(found)


class GunicornServer:
    """``gunicorn benchproject.wsgi`` with two sync workers, as a context manager."""

    def __init__(self, target: Target, workers: int = 2) -> None:
        self.target = target
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> GunicornServer:
        gunicorn = self.target.python.parent / "gunicorn"
        pythonpath = f"{PROJECTS / 'common'},{PROJECTS / self.target.system}"
        command = [
            str(gunicorn),
            "benchproject.wsgi:application",
            "--workers",
            str(self.workers),
            "--bind",
            f"{LOOPBACK}:{self.port}",
            "--pythonpath",
            pythonpath,
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        log = self.target.log.open("a")
        self.process = subprocess.Popen(command, stdout=log, stderr=log, env=self.target.env())
        log.close()
        self._wait_ready(self.process)
        return self

    def _wait_ready(self, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{self.target.name}: gunicorn exited with {process.returncode}; see {self.target.log}"
                )
            try:
                connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
                connection.request("GET", "/api/bare")
                if connection.getresponse().status == 200 and len(self.worker_pids()) == self.workers:
                    connection.close()
                    return
                connection.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.target.name}: gunicorn did not answer within {seconds:.0f}s; see {self.target.log}")

    def drain(self, seconds: float = 300) -> None:
        """Wait until requests a load generator left behind are done, so they cannot slow the next run.

        A sync worker takes one connection at a time, oldest first; once one fresh
        request per worker has been answered, every older one has been served.
        """

        def probe() -> None:
            connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=seconds)
            try:
                connection.request("GET", "/api/bare")
                connection.getresponse().read()
            finally:
                connection.close()

        threads = [threading.Thread(target=probe) for _ in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def worker_pids(self) -> list[int]:
        return [] if self.process is None else children(self.process.pid)

    def memory_kib(self) -> dict[str, list[int]]:
        """Current (VmRSS) and peak (VmHWM) resident memory of each worker, in KiB."""
        pids = self.worker_pids()
        return {
            "rss": [_status_kib(pid, "VmRSS") or 0 for pid in pids],
            "peak": [_status_kib(pid, "VmHWM") or 0 for pid in pids],
        }

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
