"""Scale part (ours, PostgreSQL): bearer cost with a small and a large token table, and a big cleanup under load.

Two scratch databases are created on the server and dropped at the end: one
whose access-token table holds ``plan.scale_small`` rows, one with
``plan.scale_large`` (bulk-inserted expired tokens, each with its own digest).
Two in-process workers, one per database, alternate rounds of bearer
requests. Then ``oauth2_clear_tokens`` clears the large table's expired rows
while a load generator keeps asking the token endpoint (gunicorn) for
tokens and a sampler watches ``pg_locks``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness.loadgen import ScenarioSource, run_load
from harness.plan import Plan
from harness.server import PROJECTS, GunicornServer
from harness.stats import summarize_ns
from harness.workers import WORKER_DIR, Target, Worker, WorkerError, run_script

CLEANUP_APP = "oauth2-bench-cleanup"
HASHER = "fast"  # nothing measured here hashes a password except the token endpoint's load, kept light


class _UntilExit:
    """A request source that stops handing out requests once ``process`` has exited."""

    def __init__(self, inner: ScenarioSource, process: subprocess.Popen[str]) -> None:
        self.inner = inner
        self.process = process

    def next_request(self) -> tuple[str, bytes] | None:
        return None if self.process.poll() is not None else self.inner.next_request()

    def observe(self, scenario: str, status: int, body: bytes) -> None:
        self.inner.observe(scenario, status, body)


def _database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))


def _reachable(python: Path, admin: str, log: Path) -> str | None:
    code = (
        "import sys, psycopg\n"
        "from urllib.parse import urlsplit\n"
        "p = urlsplit(sys.argv[1])\n"
        "psycopg.connect(host=p.hostname, port=p.port or 5432, user=p.username or 'postgres',"
        " dbname=p.path.lstrip('/'), connect_timeout=5).close()\n"
    )
    finished = subprocess.run([str(python), "-c", code, admin], capture_output=True, text=True, check=False)
    if finished.returncode == 0:
        return None
    with log.open("a") as sink:
        sink.write(finished.stderr)
    return (finished.stderr.strip().splitlines() or ["unknown error"])[-1]


def _bearer(plan: Plan, workers: dict[str, Worker], progress: Callable[[str], None]) -> dict[str, Any]:
    samples: dict[str, list[int]] = {size: [] for size in workers}
    medians: dict[str, list[float]] = {size: [] for size in workers}
    for worker in workers.values():
        worker.ask("time", scenario="bearer_valid", n=max(5, plan.scale_samples // 10))
    rounds = 5 if not plan.smoke else 1
    per_round = max(1, plan.scale_samples // rounds)
    order = list(workers)
    for index in range(rounds):
        for size in order if index % 2 == 0 else reversed(order):
            batch = workers[size].ask("time", scenario="bearer_valid", n=per_round)["ns"]
            samples[size].extend(batch)
            medians[size].append(statistics.median(batch) / 1e6)
    progress("scale: bearer timings done")
    return {size: summarize_ns(values, medians[size]) for size, values in samples.items()}


def measure(plan: Plan, python: Path, server_url: str, work: Path, progress: Callable[[str], None]) -> dict[str, Any]:
    started = time.monotonic()
    log = work / "logs" / "scale.log"
    problem = _reachable(python, server_url, log)
    if problem:
        progress(f"scale part skipped: PostgreSQL not reachable at {server_url} ({problem})")
        return {"skipped": f"PostgreSQL not reachable at {server_url}: {problem}"}
    names = {"small": f"oauth2_bench_small_{os.getpid()}", "large": f"oauth2_bench_large_{os.getpid()}"}
    sizes = {"small": plan.scale_small, "large": plan.scale_large}
    targets = {
        size: Target("ours", HASHER, python, _database_url(server_url, name), work / f"scale-{size}.state.json", log)
        for size, name in names.items()
    }
    admin = targets["small"]
    workers: dict[str, Worker] = {}
    try:
        fills = {}
        for size, name in names.items():
            run_script(admin, "scale_ours.py", "createdb", "--admin", server_url, "--name", name)
            run_script(targets[size], "setup_system.py", "--refresh", "4", "--out", str(targets[size].state))
            fills[size] = run_script(targets[size], "scale_ours.py", "fill", "--total", str(sizes[size]))
            progress(
                f"scale: {size} table holds {fills[size]['total']:,} access tokens "
                f"({fills[size]['seconds']:.1f}s to fill)"
            )
        for size, target in targets.items():
            workers[size] = Worker(target)
        bearer = _bearer(plan, workers, progress)
        for size in bearer:
            bearer[size]["tokens"] = fills[size]["total"]
        specs = workers["large"].ask("specs")["specs"]
        for worker in workers.values():
            worker.close()
        workers.clear()
        cleanup = _cleanup(plan, targets["large"], specs, work, progress)
        cleanup["fill_seconds"] = fills["large"]["seconds"]
    finally:
        for worker in workers.values():
            worker.close()
        for name in names.values():
            try:
                run_script(admin, "scale_ours.py", "dropdb", "--admin", server_url, "--name", name)
            except WorkerError as error:
                progress(f"scale: could not drop {name}: {error}")
    return {"bearer": bearer, "cleanup": cleanup, "hasher": HASHER, "seconds": time.monotonic() - started}


def _cleanup(
    plan: Plan, target: Target, specs: dict[str, Any], work: Path, progress: Callable[[str], None]
) -> dict[str, Any]:
    before_count = run_script(target, "scale_ours.py", "count")
    spec = specs["password"]
    expected = {"password": spec["expected_status"]}
    stop_file = work / "scale-locks.stop"
    stop_file.unlink(missing_ok=True)
    with GunicornServer(target) as server, target.log.open("a") as log:
        before = run_load(
            server.port, ScenarioSource(spec, server.port), expected, concurrency=2, seconds=max(1.0, plan.http_seconds)
        )
        sampler = subprocess.Popen(
            [
                str(target.python),
                str(WORKER_DIR / "scale_ours.py"),
                "locks",
                "--database",
                target.database,
                "--stop-file",
                str(stop_file),
                "--cleanup-app",
                CLEANUP_APP,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=target.env(),
        )
        env = target.env()
        env.update(
            {
                "BENCH_PG_APPNAME": CLEANUP_APP,
                "DJANGO_SETTINGS_MODULE": "benchproject.settings",
                "PYTHONPATH": f"{PROJECTS / 'common'}{os.pathsep}{PROJECTS / 'ours'}",
            }
        )
        started = time.monotonic()
        command = subprocess.Popen(
            [str(target.python), "-m", "django", "oauth2_clear_tokens", "--batch-size", "10000"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )
        during = run_load(
            server.port, _UntilExit(ScenarioSource(spec, server.port), command), expected, concurrency=2, seconds=600
        )
        output, _ = command.communicate(timeout=600)
        # Wall time of the whole command, Django's start-up (about a second) included.
        seconds = time.monotonic() - started
        stop_file.touch()
        sampled, _ = sampler.communicate(timeout=60)
    stop_file.unlink(missing_ok=True)
    if command.returncode != 0:
        raise WorkerError(f"oauth2_clear_tokens failed with exit code {command.returncode}; see {target.log}")
    after_count = run_script(target, "scale_ours.py", "count")
    progress(f"scale: cleared {before_count['expired'] - after_count['expired']:,} expired tokens in {seconds:.1f}s")
    return {
        "expired": before_count["expired"],
        "remaining": after_count,
        "seconds": seconds,
        "command_output": output,
        "endpoint_before": before.as_dict(),
        "endpoint_during": during.as_dict(),
        "locks": json.loads(sampled.strip().splitlines()[-1]),
    }
