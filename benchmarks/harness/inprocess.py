"""In-process phase: per-request cost through Django's test client, systems alternated round by round.

Each (system, hasher) has its own worker process. A round runs every
scenario once on every worker, with the order of the systems rotated each
round, so slow drift on a shared machine (thermal, other load) lands on all
systems alike. Batch sizes are calibrated during warm-up so that a batch
takes about ``plan.batch_seconds``: hundreds of samples for sub-millisecond
work, one per round for a key-derivation-bound grant. The password grant is
timed in ``plan.floor_pairs`` batches per round, each next to a batch of its
floor (one check of the user's password), which of the two goes first
alternating, so that load bursts and a CPU waking up hit both sides alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

from harness.plan import SCENARIOS, Plan
from harness.stats import summarize_ns
from harness.workers import Worker

Key = tuple[str, str, str]  # (system, hasher, scenario)


def _batch_size(plan: Plan, seconds_per_request: float) -> int:
    if seconds_per_request <= 0:
        return plan.batch_max
    return max(1, min(plan.batch_max, int(plan.batch_seconds / seconds_per_request)))


def _warm_up(plan: Plan, worker: Worker, scenario: str) -> float:
    """Run the scenario for about ``plan.warmup_seconds``; return the seconds one request takes once warm."""
    last: float = worker.ask("time", scenario=scenario, n=1)["ns"][0] / 1e9
    spent = last
    while spent < plan.warmup_seconds:
        samples = worker.ask("time", scenario=scenario, n=_batch_size(plan, last))["ns"]
        last = statistics.median(samples) / 1e9
        spent += sum(samples) / 1e9
    return last


def _password_with_floor(worker: Worker, batch: int, pairs: int) -> list[tuple[list[int], list[int]]]:
    """``pairs`` (grant batch, floor batch) pairs, taken back to back; odd pairs time the floor first."""
    taken = []
    for index in range(pairs):
        if index % 2:
            floor = worker.ask("floor", n=batch)["ns"]
            grant = worker.ask("time", scenario="password", n=batch)["ns"]
        else:
            grant = worker.ask("time", scenario="password", n=batch)["ns"]
            floor = worker.ask("floor", n=batch)["ns"]
        taken.append((grant, floor))
    return taken


def measure(
    plan: Plan,
    workers: Mapping[tuple[str, str], Worker],
    systems: tuple[str, ...],
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Timings for every (system, hasher, scenario), the password floor, and the query counts."""
    started = time.monotonic()
    sizes: dict[Key, int] = {}
    for (system, hasher), worker in workers.items():
        for scenario in SCENARIOS:
            sizes[(system, hasher, scenario)] = _batch_size(plan, _warm_up(plan, worker, scenario))
    progress(f"in-process warm-up done in {time.monotonic() - started:.0f}s")

    samples: dict[Key, list[int]] = {key: [] for key in sizes}
    floor_samples: dict[tuple[str, str], list[int]] = {key: [] for key in workers}
    floor_medians: dict[tuple[str, str], list[float]] = {key: [] for key in workers}
    round_medians: dict[Key, list[float]] = {key: [] for key in sizes}
    for round_index in range(plan.rounds):
        shift = round_index % len(systems)
        order = systems[shift:] + systems[:shift]
        for scenario in SCENARIOS:
            for hasher in plan.hashers:
                for system in order:
                    key = (system, hasher, scenario)
                    worker = workers[(system, hasher)]
                    if scenario != "password":
                        batch = worker.ask("time", scenario=scenario, n=sizes[key])["ns"]
                        samples[key].extend(batch)
                        round_medians[key].append(statistics.median(batch) / 1e6)
                        continue
                    # Every system takes the same number of pairs, so the i-th pair of one system lines
                    # up with the i-th pair of the others when targets compare them.
                    for grant, floor in _password_with_floor(worker, sizes[key], plan.floor_pairs):
                        samples[key].extend(grant)
                        round_medians[key].append(statistics.median(grant) / 1e6)
                        floor_samples[(system, hasher)] += floor
                        floor_medians[(system, hasher)].append(statistics.median(floor) / 1e6)
        progress(f"in-process round {round_index + 1}/{plan.rounds} done ({time.monotonic() - started:.0f}s)")

    timings: dict[str, Any] = {}
    for (system, hasher, scenario), values in samples.items():
        entry = summarize_ns(values, round_medians[(system, hasher, scenario)])
        timings.setdefault(system, {}).setdefault(hasher, {})[scenario] = entry

    floors: dict[str, Any] = {}
    for (system, hasher), values in floor_samples.items():
        floors.setdefault(system, {})[hasher] = summarize_ns(values, floor_medians[(system, hasher)])

    counts: dict[str, Any] = {}
    count_hasher = "default" if "default" in plan.hashers else plan.hashers[0]
    for system in systems:
        worker = workers[(system, count_hasher)]
        counts[system] = {scenario: worker.ask("count", scenario=scenario) for scenario in SCENARIOS}
    progress(f"in-process phase done in {time.monotonic() - started:.0f}s")
    return {
        "timings": timings,
        "password_check_floor": floors,
        "queries": {"hasher": count_hasher, "per_system": counts},
        "batch_sizes": {f"{s}/{h}/{sc}": n for (s, h, sc), n in sizes.items()},
        "seconds": time.monotonic() - started,
    }
