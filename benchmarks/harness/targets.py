"""The targets of issue 6, each checked against the measured figures.

A target whose figures were not measured in this run (smoke mode, or the
scale part left out) is reported as SKIP, never as a pass.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, replace
from typing import Any

from harness.stats import ratio


@dataclass(frozen=True)
class Check:
    key: str
    description: str
    measured: float | None
    #: "<=" or ">=" against ``threshold``.
    relation: str
    threshold: float
    #: A smoke run measures too little to judge: its checks are all SKIP.
    judged: bool = True

    @property
    def verdict(self) -> str:
        if self.measured is None or not self.judged:
            return "SKIP"
        passed = self.measured <= self.threshold if self.relation == "<=" else self.measured >= self.threshold
        return "PASS" if passed else "FAIL"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


def _rounds(results: dict[str, Any], system: str, hasher: str, scenario: str) -> list[float]:
    """Per-round medians of one in-process measurement (``floor``: the password check next to the grant)."""
    try:
        if scenario == "floor":
            found: list[float] = results["inprocess"]["password_check_floor"][system][hasher]["round_medians_ms"]
        else:
            found = results["inprocess"]["timings"][system][hasher][scenario]["round_medians_ms"]
    except (KeyError, TypeError):
        return []
    return found


def paired(results: dict[str, Any], numerator: tuple[str, str, str], denominator: tuple[str, str, str]) -> float | None:
    """The median over rounds of numerator/denominator, each taken from the same round.

    Both sides of a round were measured within seconds of each other, so a
    burst of load elsewhere on the machine cancels out of each ratio instead of
    landing on one side only.
    """
    return _paired_lists(_rounds(results, *numerator), _rounds(results, *denominator))


def _ratios(tops: list[float], bottoms: list[float]) -> list[float]:
    return [top / bottom for top, bottom in zip(tops, bottoms, strict=False) if bottom > 0]


def _paired_lists(tops: list[float], bottoms: list[float]) -> float | None:
    ratios = _ratios(tops, bottoms)
    return statistics.median(ratios) if ratios else None


def pooled(results: dict[str, Any], system: str, scenario: str, baseline: str) -> float | None:
    """The median of ``scenario``/``baseline`` per-round ratios of one system, pooled over both hasher workers.

    For work that never runs the hasher (a bearer request, the bare view) the
    two workers measure the same code in two processes; pooling them keeps
    one process's luck (memory layout, a neighbour's burst) from deciding.
    """
    ratios: list[float] = []
    for hasher in ("default", "fast"):
        ratios += _ratios(_rounds(results, system, hasher, scenario), _rounds(results, system, hasher, baseline))
    return statistics.median(ratios) if ratios else None


def _rps(results: dict[str, Any], system: str, hasher: str, scenario: str) -> float | None:
    try:
        value: float = results["http"]["rps"][system][hasher][scenario]["rps"]
    except (KeyError, TypeError):
        return None
    return value


def evaluate(results: dict[str, Any]) -> list[Check]:
    def faster(peer: str, hasher: str, scenario: str) -> float | None:
        return paired(results, (peer, hasher, scenario), ("ours", hasher, scenario))

    scale = (results.get("scale") or {}).get("bearer") or {}
    soak = (results.get("soak") or {}).get("ratio")
    checks = [
        Check(
            "bearer_inprocess",
            "bearer-authenticated request, in-process, ours: at most 2x bare",
            pooled(results, "ours", "bearer_valid", "bare"),
            "<=",
            2.0,
        ),
        Check(
            "bearer_http",
            "bearer-authenticated request over HTTP: ours at least 2x django-oauth-toolkit's requests/s",
            ratio(_rps(results, "ours", "default", "bearer_valid"), _rps(results, "dot", "default", "bearer_valid")),
            ">=",
            2.0,
        ),
        Check(
            "refresh_default_vs_dot",
            "refresh grant, default hasher: ours at least 50x faster than django-oauth-toolkit",
            faster("dot", "default", "refresh"),
            ">=",
            50.0,
        ),
        Check(
            "refresh_default_vs_do2",
            "refresh grant, default hasher: ours at least 200x faster than django-oauth2",
            faster("do2", "default", "refresh"),
            ">=",
            200.0,
        ),
        Check(
            "password_default_floor",
            "password grant, default hasher: ours at most 1.1x one check of the user's password",
            paired(results, ("ours", "default", "password"), ("ours", "default", "floor")),
            "<=",
            1.1,
        ),
    ]
    for scenario in ("password", "refresh"):
        for peer, label in (("dot", "django-oauth-toolkit"), ("do2", "django-oauth2")):
            checks.append(
                Check(
                    f"{scenario}_fast_vs_{peer}",
                    f"{scenario} grant, fast hasher: ours at least 2x faster than {label}",
                    faster(peer, "fast", scenario),
                    ">=",
                    2.0,
                )
            )
    checks += [
        Check(
            "scale_bearer",
            "bearer request with the large token table: within 1.2x of the small-table figure",
            _paired_lists(
                scale.get("large", {}).get("round_medians_ms", []), scale.get("small", {}).get("round_medians_ms", [])
            ),
            "<=",
            1.2,
        ),
        Check(
            "memory_soak",
            "worker memory after the full mixed soak: within 10% of after the first thousand",
            soak,
            "<=",
            1.10,
        ),
    ]
    if results.get("mode") == "smoke":
        checks = [replace(check, judged=False) for check in checks]
    return checks
