"""Side-by-side benchmark of oauth2-django against django-oauth-toolkit 3.4.1 and django-oauth2 5.1.2 (issue 6).

Usage::

    python benchmarks/run.py            # full run: install, in-process, HTTP, memory soak, scale
    python benchmarks/run.py --smoke    # tiny rounds: checks the harness works, asserts no timing
    python benchmarks/run.py --no-scale # leave the PostgreSQL scale part out

It needs only the standard library: it creates one virtualenv per system,
installs each system there, and drives worker processes inside them. The
tables go to stdout, the full figures to ``benchmarks/results/latest.json``
(git-ignored). The exit code is 0 when the run completed, whatever the
targets say; ``--strict`` makes a failed target exit 3.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import httpphase, inprocess, report, scale, targets
from harness.plan import Plan, full_plan, smoke_plan
from harness.systems import BENCH_ROOT, SYSTEMS
from harness.venvs import ensure_system_venv, installed_versions
from harness.workers import Target, Worker, run_script
from harness.wrk import find_wrk

DISTRIBUTIONS = ("Django", "gunicorn", "django-oauth-toolkit", "oauthlib", "django-oauth2", "oauth2-django", "pluggy")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny rounds; check the harness, assert no timing")
    scale_group = parser.add_mutually_exclusive_group()
    scale_group.add_argument("--scale", dest="scale", action="store_true", default=None, help="run the scale part")
    scale_group.add_argument("--no-scale", dest="scale", action="store_false", help="leave the scale part out")
    parser.add_argument("--no-http", action="store_true", help="leave the HTTP phase and the memory soak out")
    parser.add_argument("--systems", default="ours,dot,do2", help="comma-separated subset of ours,dot,do2")
    parser.add_argument("--results", type=Path, default=BENCH_ROOT / "results", help="results folder (git-ignored)")
    parser.add_argument(
        "--venvs",
        type=Path,
        default=Path(os.environ.get("BENCH_VENVS", BENCH_ROOT / "results" / "venvs")),
        help="where the per-system virtualenvs live (default: results/venvs, or $BENCH_VENVS)",
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL server for the scale part (a scratch database is created and dropped)",
    )
    parser.add_argument("--no-install-wrk", action="store_true", help="never apt-get wrk; fall back to asyncio")
    parser.add_argument("--no-wrk", action="store_true", help="use the asyncio load generator even if wrk is there")
    parser.add_argument("--strict", action="store_true", help="exit 3 when a target fails")
    parser.add_argument(
        "--report", type=Path, metavar="JSON", help="print the tables and targets of a saved run; measure nothing"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile our hot paths into results/profile/ (fast hasher)"
    )
    args = parser.parse_args(argv)
    unknown = set(args.systems.split(",")) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems {sorted(unknown)}: choose from {', '.join(SYSTEMS)}")
    return args


class Run:
    def __init__(self, args: argparse.Namespace, plan: Plan) -> None:
        self.args = args
        self.plan = plan
        self.systems = tuple(key for key in SYSTEMS if key in args.systems.split(","))
        self.started = time.monotonic()
        self.work = args.results / ("work-smoke" if plan.smoke else "work")
        self.logs = self.work / "logs"

    def progress(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)

    def install(self) -> dict[str, Path]:
        self.args.venvs.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=len(self.systems)) as pool:
            futures = {
                key: pool.submit(ensure_system_venv, SYSTEMS[key], self.args.venvs, self.logs / f"install-{key}.log")
                for key in self.systems
            }
            pythons = {}
            for key, future in futures.items():
                pythons[key], seconds = future.result()
                self.progress(f"{SYSTEMS[key].label}: virtualenv ready in {seconds:.0f}s")
        return pythons

    def targets(self, pythons: dict[str, Path]) -> dict[tuple[str, str], Target]:
        found = {}
        for system in self.systems:
            for hasher in self.plan.hashers:
                name = f"{system}-{hasher}"
                found[(system, hasher)] = Target(
                    system,
                    hasher,
                    pythons[system],
                    str(self.work / f"{name}.sqlite3"),
                    self.work / f"{name}.state.json",
                    self.logs / f"{name}.log",
                )
        return found

    def set_up(self, all_targets: dict[tuple[str, str], Target]) -> None:
        def one(target: Target) -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(target.database + suffix).unlink(missing_ok=True)
            run_script(target, "setup_system.py", "--refresh", "8", "--out", str(target.state))

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(one, all_targets.values()))
        self.progress("databases, users, clients and tokens set up")

    def execute(self) -> dict[str, Any]:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.logs.mkdir(parents=True)
        results: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
            "mode": "smoke" if self.plan.smoke else "full",
            "systems": list(self.systems),
            "labels": {key: SYSTEMS[key].label for key in self.systems},
            "plan": {**self.plan.__dict__, "http_matrix": [list(pair) for pair in self.plan.http_matrix]},
        }
        pythons = self.install()
        results["versions"] = {key: installed_versions(pythons[key], DISTRIBUTIONS) for key in self.systems}
        all_targets = self.targets(pythons)
        self.set_up(all_targets)
        workers: dict[tuple[str, str], Worker] = {}
        try:
            for key, target in all_targets.items():
                workers[key] = Worker(target)
            results["inprocess"] = inprocess.measure(self.plan, workers, self.systems, self.progress)
            if not self.args.no_http:
                specs = {key: worker.ask("specs")["specs"] for key, worker in workers.items()}
                wrk = None if self.args.no_wrk else find_wrk(install=not self.args.no_install_wrk)
                results["http"] = httpphase.measure(
                    self.plan, all_targets, workers, specs, self.systems, wrk, self.work, self.progress
                )
                if "ours" in self.systems:
                    hasher = "fast" if "fast" in self.plan.hashers else self.plan.hashers[0]
                    key = ("ours", hasher)
                    results["soak"] = httpphase.soak(self.plan, all_targets[key], workers[key], specs[key])
                    self.progress("memory soak done")
        finally:
            for worker in workers.values():
                worker.close()
        if self.args.profile and "ours" in self.systems:
            hasher = "fast" if "fast" in self.plan.hashers else self.plan.hashers[0]
            target = all_targets[("ours", hasher)]
            out = self.args.results / "profile"
            results["profile"] = run_script(target, "profile_ours.py", "--state", str(target.state), "--out", str(out))
            self.progress(f"profiles written to {out}")
        run_scale = self.args.scale if self.args.scale is not None else not self.plan.smoke
        if run_scale and "ours" in self.systems:
            results["scale"] = scale.measure(self.plan, pythons["ours"], self.args.pg, self.work, self.progress)
        results["seconds"] = time.monotonic() - self.started
        return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report:
        saved = json.loads(args.report.read_text())
        print(report.render(saved, targets.evaluate(saved)))
        return 0
    plan = smoke_plan() if args.smoke else full_plan()
    run = Run(args, plan)
    results = run.execute()
    checks = targets.evaluate(results)
    results["targets"] = [check.as_dict() for check in checks]
    print(report.render(results, checks))
    print(f"Whole run: {results['seconds']:.0f}s ({results['mode']} mode)")
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / ("smoke.json" if plan.smoke else "latest.json")
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"Saved {out}")
    failed = [check.key for check in checks if check.verdict == "FAIL"]
    return 3 if args.strict and failed and not plan.smoke else 0


if __name__ == "__main__":
    sys.exit(main())
