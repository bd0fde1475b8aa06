"""HTTP phase: requests per second through gunicorn (two workers) at a fixed concurrency, and worker memory.

For each hasher the three servers run side by side (an idle one costs no
CPU) and each scenario visits the systems in an order rotated per scenario.
Every recorded run follows a short unrecorded one on the same server. The
memory soak then serves an exact number of mixed requests from a fresh
server of ours and compares the workers' memory after the first thousand
with that after all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from harness.loadgen import MixedSource, ScenarioSource, run_load
from harness.plan import Plan
from harness.server import GunicornServer
from harness.workers import Target, Worker
from harness.wrk import run_wrk


def _one_run(
    wrk: str | None,
    server: GunicornServer,
    spec: dict[str, Any],
    worker: Worker,
    workdir: Path,
    concurrency: int,
    seconds: float,
) -> dict[str, Any]:
    seeds: list[str] = []
    if spec["name"] == "refresh":
        # One chain per connection, and a few spare in case a request is cut off mid-way.
        seeds = worker.ask("mint_refresh", n=concurrency + 4)["tokens"]
    if wrk is not None:
        result = run_wrk(wrk, server.port, spec, workdir, concurrency=concurrency, seconds=seconds, seeds=seeds)
    else:
        source = ScenarioSource(spec, server.port, seeds)
        expected = {spec["name"]: spec["expected_status"]}
        result = run_load(server.port, source, expected, concurrency=concurrency, seconds=seconds).as_dict()
    server.drain()
    return result


def _rounds(
    plan: Plan,
    hasher: str,
    servers: Mapping[str, GunicornServer],
    workers: Mapping[tuple[str, str], Worker],
    specs: Mapping[tuple[str, str], dict[str, dict[str, Any]]],
    wrk: str | None,
    workdir: Path,
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every (system, scenario) run ``plan.http_rounds`` times, after one warm-up run each."""
    systems = tuple(servers)
    scenarios = [scenario for h, scenario in plan.http_matrix if h == hasher]

    def run(system: str, scenario: str, seconds: float) -> dict[str, Any]:
        spec = specs[(system, hasher)][scenario]
        worker = workers[(system, hasher)]
        return _one_run(wrk, servers[system], spec, worker, workdir, plan.http_concurrency, seconds)

    if plan.http_warmup_seconds > 0:
        for scenario in scenarios:
            for system in systems:
                run(system, scenario, plan.http_warmup_seconds)
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for round_index in range(plan.http_rounds):
        for index, scenario in enumerate(scenarios):
            shift = (index + round_index) % len(systems)
            for system in systems[shift:] + systems[:shift]:
                runs.setdefault((system, scenario), []).append(run(system, scenario, plan.http_seconds))
    return runs


def measure(
    plan: Plan,
    targets: Mapping[tuple[str, str], Target],
    workers: Mapping[tuple[str, str], Worker],
    specs: Mapping[tuple[str, str], dict[str, dict[str, Any]]],
    systems: tuple[str, ...],
    wrk: str | None,
    workdir: Path,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    started = time.monotonic()
    results: dict[str, Any] = {}
    peaks: dict[str, int] = dict.fromkeys(systems, 0)
    for hasher in plan.hashers:
        if not any(h == hasher for h, _ in plan.http_matrix):
            continue
        with ExitStack() as stack:
            servers = {system: stack.enter_context(GunicornServer(targets[(system, hasher)])) for system in systems}
            runs = _rounds(plan, hasher, servers, workers, specs, wrk, workdir)
            for system, server in servers.items():
                peaks[system] = max(peaks[system], *server.memory_kib()["peak"])
        for (system, scenario), found in runs.items():
            # The median run by rate, with every run's rate kept for the JSON.
            ordered = sorted(found, key=lambda item: item["rps"])
            summary = {**ordered[len(ordered) // 2], "rps_runs": [item["rps"] for item in found]}
            results.setdefault(system, {}).setdefault(hasher, {})[scenario] = summary
        progress(f"HTTP with the {hasher} hasher done ({time.monotonic() - started:.0f}s)")
    return {
        "tool": "wrk" if wrk else "asyncio",
        "concurrency": plan.http_concurrency,
        "seconds_per_run": plan.http_seconds,
        "rounds": plan.http_rounds,
        "workers": 2,
        "rps": results,
        "peak_worker_rss_kib": peaks,
        "seconds": time.monotonic() - started,
    }


def soak(plan: Plan, target: Target, worker: Worker, specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Worker memory after ``plan.soak_first`` and after ``plan.soak_total`` mixed requests to a fresh server."""
    expected = {name: spec["expected_status"] for name, spec in specs.items()}
    with GunicornServer(target) as server:
        source = MixedSource(specs, server.port, worker.ask("mint_refresh", n=8)["tokens"])
        first = run_load(server.port, source, expected, concurrency=4, seconds=600, limit=plan.soak_first)
        after_first = server.memory_kib()
        rest = run_load(
            server.port, source, expected, concurrency=4, seconds=600, limit=plan.soak_total - plan.soak_first
        )
        after_total = server.memory_kib()
    return {
        "hasher": target.hasher,
        "requests": [first.requests, first.requests + rest.requests],
        "bad": first.bad + rest.bad,
        "errors": first.errors + rest.errors,
        "unexpected": {
            key: first.unexpected.get(key, 0) + rest.unexpected.get(key, 0)
            for key in {*first.unexpected, *rest.unexpected}
        },
        "rss_kib_after_first": after_first["rss"],
        "rss_kib_after_total": after_total["rss"],
        "ratio": sum(after_total["rss"]) / sum(after_first["rss"]) if sum(after_first["rss"]) else None,
    }
