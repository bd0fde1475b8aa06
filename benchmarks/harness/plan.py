"""How much to measure: the full run (about ten minutes on two cores) and the smoke run (harness check only)."""

from __future__ import annotations

from dataclasses import dataclass

SCENARIOS = ("bare", "bearer_valid", "bearer_invalid", "password", "refresh")
HASHERS = ("default", "fast")


@dataclass(frozen=True)
class Plan:
    smoke: bool
    hashers: tuple[str, ...]
    #: In-process: rounds alternate the systems; each batch aims at ``batch_seconds`` of work.
    rounds: int
    batch_seconds: float
    batch_max: int
    warmup_seconds: float
    #: Password-grant batches per round, each beside a batch of its floor (one password check).
    floor_pairs: int
    #: HTTP: fixed concurrency and duration per scenario, after a short unrecorded warm-up.
    http_concurrency: int
    http_seconds: float
    #: Rounds over all HTTP scenarios; each figure is the median run (by requests/s).
    http_rounds: int
    http_warmup_seconds: float
    #: (hasher, scenario) pairs measured over HTTP.
    http_matrix: tuple[tuple[str, str], ...]
    #: Memory soak of our server: RSS after the first and after all of these mixed requests.
    soak_first: int
    soak_total: int
    #: Scale part: the small and the large access-token table, and expired tokens to clear.
    scale_small: int
    scale_large: int
    scale_expired: int
    scale_samples: int


def http_matrix(hashers: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """What runs over HTTP: the views with the default hasher, the grants with the fast one.

    With the default hasher every grant is bound by PBKDF2 (the in-process table
    shows that cost exactly); over HTTP the grants are measured with the fast
    hasher, where the framework's own cost decides the rate. With one hasher
    only, everything runs with it.
    """
    if len(hashers) == 1:
        return tuple((hashers[0], scenario) for scenario in SCENARIOS)
    views = [("default", scenario) for scenario in ("bare", "bearer_valid", "bearer_invalid")]
    grants = [("fast", scenario) for scenario in ("password", "refresh")]
    return (*views, *grants)


def full_plan() -> Plan:
    return Plan(
        smoke=False,
        hashers=HASHERS,
        rounds=5,
        batch_seconds=0.15,
        batch_max=150,
        warmup_seconds=0.3,
        floor_pairs=4,
        http_concurrency=8,
        http_seconds=3.0,
        http_rounds=3,
        http_warmup_seconds=1.0,
        http_matrix=http_matrix(HASHERS),
        soak_first=1_000,
        soak_total=20_000,
        scale_small=1_000,
        scale_large=1_000_000,
        scale_expired=1_000_000,
        scale_samples=400,
    )


def smoke_plan() -> Plan:
    hashers = ("fast",)
    return Plan(
        smoke=True,
        hashers=hashers,
        rounds=1,
        batch_seconds=0.01,
        batch_max=3,
        warmup_seconds=0.0,
        floor_pairs=1,
        http_concurrency=2,
        http_seconds=1.0,
        http_rounds=1,
        http_warmup_seconds=0.0,
        http_matrix=http_matrix(hashers),
        soak_first=50,
        soak_total=150,
        scale_small=100,
        scale_large=2_000,
        scale_expired=3_000,
        scale_samples=20,
    )
