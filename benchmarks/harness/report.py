"""Plain-text tables of a results dictionary: in-process, HTTP, queries, memory, scale and the targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.plan import SCENARIOS
from harness.stats import ratio
from harness.systems import PEERS, SYSTEMS
from harness.targets import Check

SHORT = {"ours": "ours", "dot": "DOT", "do2": "d-o2"}
LABELS = {
    "bare": "bare view",
    "bearer_valid": "bearer, valid token",
    "bearer_invalid": "bearer, invalid token",
    "password": "password grant",
    "refresh": "refresh grant",
}


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, left_last: bool = False) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        # First and last columns read as text when they are labels; numbers line up on the right.
        first = str(cells[0]).ljust(widths[0])
        rest = [str(cell).rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        if left_last:
            rest[-1] = str(cells[-1]).ljust(widths[-1])
        return "  ".join([first, *rest]).rstrip()

    return [line(header), "  ".join("-" * width for width in widths), *(line(row) for row in rows)]


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.1f}"
    return f"{value:.{digits}g}" if value < 1 else f"{value:.{digits - 1}f}"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{_fmt(value)}x"


def inprocess_table(results: dict[str, Any], systems: Sequence[str]) -> list[str]:
    timings = results["inprocess"]["timings"]
    peers = [peer for peer in PEERS if peer in systems]
    header = ["operation (hasher)"]
    for system in systems:
        header += [f"{SHORT[system]} ms", f"{SHORT[system]} /bare"]
    header += [f"{SHORT[peer]}÷ours" for peer in peers if "ours" in systems]
    rows = []
    for scenario in SCENARIOS:
        for hasher in results["plan"]["hashers"]:
            row = [f"{LABELS[scenario]} ({hasher})"]
            medians = {s: timings[s][hasher][scenario]["median_ms"] for s in systems}
            for system in systems:
                bare = timings[system][hasher]["bare"]["median_ms"]
                row += [_fmt(medians[system]), _times(ratio(medians[system], bare))]
            if "ours" in systems:
                row += [_times(ratio(medians[peer], medians["ours"])) for peer in peers]
            rows.append(row)
    floor = results["inprocess"]["password_check_floor"]
    for hasher in results["plan"]["hashers"]:
        row = [f"one check_password ({hasher})"]
        for system in systems:
            row += [_fmt(floor[system][hasher]["median_ms"]), ""]
        row += [""] * (len(header) - len(row))
        rows.append(row)
    return [
        "In-process (Django test client, SQLite): median ms per request; /bare = ratio to that system's bare view;",
        "peer÷ours = how many times longer the peer takes than ours",
        *_table(header, rows),
    ]


def http_table(results: dict[str, Any], systems: Sequence[str]) -> list[str]:
    http = results["http"]
    rps = http["rps"]
    peers = [peer for peer in PEERS if peer in systems]
    header = ["operation (hasher)"]
    for system in systems:
        header += [f"{SHORT[system]} req/s", f"{SHORT[system]} /bare"]
    header += [f"ours÷{SHORT[peer]}" for peer in peers if "ours" in systems]
    rows = []
    for hasher, scenario in results["plan"]["http_matrix"]:
        row = [f"{LABELS[scenario]} ({hasher})"]
        values = {s: rps.get(s, {}).get(hasher, {}).get(scenario, {}).get("rps") for s in systems}
        for system in systems:
            bare = rps.get(system, {}).get("default", rps.get(system, {}).get(hasher, {})).get("bare", {}).get("rps")
            row += [_fmt(values[system]), _times(ratio(values[system], bare))]
        if "ours" in systems:
            row += [_times(ratio(values["ours"], values[peer])) for peer in peers]
        rows.append(row)
    return [
        f"HTTP (gunicorn, {http['workers']} sync workers, {http['tool']}, concurrency {http['concurrency']}, "
        f"median of {http['rounds']} runs of {http['seconds_per_run']:g}s): requests/s with the expected status;",
        "/bare = share of that system's bare-view rate; ours÷peer = how many times the peer's rate ours reaches",
        *_table(header, rows),
    ]


def queries_table(results: dict[str, Any], systems: Sequence[str]) -> list[str]:
    counts = results["inprocess"]["queries"]["per_system"]
    header = ["operation", *[f"{SHORT[s]} queries/writes" for s in systems]]
    rows = [
        [LABELS[scenario], *[f"{counts[s][scenario]['queries']}/{counts[s][scenario]['writes']}" for s in systems]]
        for scenario in SCENARIOS
    ]
    hasher = results["inprocess"]["queries"]["hasher"]
    return [f"SQL per operation ({hasher} hasher; a write is an INSERT, UPDATE or DELETE)", *_table(header, rows)]


def memory_lines(results: dict[str, Any], systems: Sequence[str]) -> list[str]:
    lines = []
    peaks = (results.get("http") or {}).get("peak_worker_rss_kib") or {}
    if peaks:
        header = ["", *[SYSTEMS[s].label for s in systems]]
        lines += ["Peak gunicorn worker memory (VmHWM, MiB) over the HTTP phase"]
        lines += _table(header, [["peak RSS", *[f"{peaks.get(s, 0) / 1024:.1f}" for s in systems]]])
    soak = results.get("soak")
    if soak:
        first, total = soak["requests"]
        lines += [
            f"Memory soak, ours ({soak['hasher']} hasher): workers' RSS after {first:,} mixed requests "
            f"{sum(soak['rss_kib_after_first']) / 1024:.1f} MiB, after {total:,} "
            f"{sum(soak['rss_kib_after_total']) / 1024:.1f} MiB (ratio {_fmt(soak['ratio'], 4)}; "
            f"unexpected answers {soak['bad']}, connection errors {soak['errors']})"
        ]
    return lines


def scale_lines(results: dict[str, Any]) -> list[str]:
    scale = results.get("scale")
    if not scale:
        return []
    if "skipped" in scale:
        return [f"Scale part skipped: {scale['skipped']}"]
    bearer, cleanup = scale["bearer"], scale["cleanup"]
    lines = [
        "Scale (PostgreSQL, ours): in-process bearer request, median ms",
        *_table(
            ["access tokens", "median ms", "p75 ms", "samples"],
            [
                [
                    f"{bearer[size]['tokens']:,}",
                    _fmt(bearer[size]["median_ms"]),
                    _fmt(bearer[size]["p75_ms"]),
                    str(bearer[size]["samples"]),
                ]
                for size in ("small", "large")
            ],
        ),
        f"Clearing {cleanup['expired']:,} expired tokens with oauth2_clear_tokens: {cleanup['seconds']:.1f}s "
        f"({cleanup.get('command_output', '').strip()[:120]})",
        "Token endpoint (password grant, fast hasher, HTTP) before and during the cleanup:",
        *_table(
            ["", "requests", "ok", "p50 ms", "p99 ms", "max ms"],
            [
                [
                    phase,
                    str(data["requests"]),
                    str(data["ok"]),
                    _fmt(data["p50_ms"]),
                    _fmt(data["p99_ms"]),
                    _fmt(data["max_ms"]),
                ]
                for phase, data in (("before", cleanup["endpoint_before"]), ("during", cleanup["endpoint_during"]))
            ],
        ),
        f"Locks seen during the cleanup: {cleanup['locks']['summary']}",
    ]
    return lines


def targets_lines(checks: Sequence[Check], smoke: bool) -> list[str]:
    rows = [
        [
            check.verdict,
            "-" if check.measured is None else f"{_fmt(check.measured, 4)}",
            f"{check.relation} {check.threshold:g}",
            check.description,
        ]
        for check in checks
    ]
    title = "Targets (issue 6)"
    if smoke:
        title += ": smoke run, figures too small to judge, so every target is SKIP"
    return [title, *_table(["verdict", "measured", "needed", "target"], rows, left_last=True)]


def render(results: dict[str, Any], checks: Sequence[Check]) -> str:
    systems = tuple(results["systems"])
    parts = [
        inprocess_table(results, systems),
        http_table(results, systems) if results.get("http") else [],
        queries_table(results, systems),
        memory_lines(results, systems),
        scale_lines(results),
        targets_lines(checks, results["mode"] == "smoke"),
    ]
    return "\n\n".join("\n".join(part) for part in parts if part) + "\n"
