"""Profile our hot paths (bearer request, password grant, refresh grant) with cProfile, in-process.

Run by ``run.py --profile`` against the database the setup step prepared::

    BENCH_DB=... BENCH_HASHER=fast python profile_ours.py --system ours --state S --out DIR

Each scenario is warmed up first, then profiled over many requests; the
report lists the functions with the most own time and the most cumulative
time, so per-request waste (settings parsing, plugin-manager work, query
compilation, repeated queries) shows by name and line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
from pathlib import Path

from bootstrap import setup_django

SCENARIOS = {"bearer_valid": 2000, "bearer_invalid": 2000, "password": 300, "refresh": 300}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="ours", choices=["ours"])
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="folder for the .txt reports and .prof dumps")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the request counts")
    args = parser.parse_args()
    adapter = setup_django(args.system)
    from inprocess import Measurer

    measurer = Measurer(adapter, json.loads(args.state.read_text()))
    # The state's refresh tokens may have been spent by an earlier run: mint fresh ones as needed.
    measurer.refresh_pool.clear()
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for scenario, count in SCENARIOS.items():
        n = max(1, int(count * args.scale))
        measurer.time(scenario, max(5, n // 10))
        if scenario == "refresh":
            measurer.ensure_refresh(n)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(n):
            measurer.one(scenario)
        profiler.disable()
        profiler.dump_stats(args.out / f"{scenario}.prof")
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        text.write(f"== {scenario}: {n} requests, sorted by own time\n")
        stats.sort_stats("tottime").print_stats(30)
        text.write(f"== {scenario}: sorted by cumulative time\n")
        stats.sort_stats("cumulative").print_stats(45)
        text.write(f"== {scenario}: our own code (oauth2_*), sorted by cumulative time\n")
        stats.sort_stats("cumulative").print_stats(r"oauth2_(core|django|grant)", 40)
        (args.out / f"{scenario}.txt").write_text(text.getvalue())
        summary[scenario] = {"requests": n, "report": str(args.out / f"{scenario}.txt")}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
