"""Summaries of timing samples: medians and spread, in milliseconds."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def summarize_ns(samples: Sequence[int], round_medians: Sequence[float] = ()) -> dict[str, Any]:
    """Median, quartiles and extremes of nanosecond samples, in milliseconds."""
    ms = sorted(value / 1e6 for value in samples)
    quartiles = statistics.quantiles(ms, n=4) if len(ms) >= 2 else [ms[0]] * 3
    summary: dict[str, Any] = {
        "median_ms": statistics.median(ms),
        "p25_ms": quartiles[0],
        "p75_ms": quartiles[2],
        "min_ms": ms[0],
        "max_ms": ms[-1],
        "samples": len(ms),
    }
    if round_medians:
        summary["round_medians_ms"] = [round(value, 4) for value in round_medians]
    return summary


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator
