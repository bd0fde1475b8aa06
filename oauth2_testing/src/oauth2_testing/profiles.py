"""Hypothesis profiles and the settings fuzz tests run under.

Fuzz tests run at least :data:`FUZZ_MIN_EXAMPLES` examples, and more when the
active profile asks for more: the ``heavy`` profile (select it with
``HYPOTHESIS_PROFILE=heavy`` or ``--hypothesis-profile=heavy``) raises every
test, fuzz tests included, to :data:`HEAVY_EXAMPLES`. Hypothesis's own
``default`` profile is left alone, so installing this kit does not slow down
a project's other property tests.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FUZZ_MIN_EXAMPLES = 2_000
HEAVY_EXAMPLES = 50_000
PROFILE_ENVIRONMENT_VARIABLE = "HYPOTHESIS_PROFILE"
#: Marker on fuzz tests, so a heavy run can select them: ``pytest -m fuzz``.
FUZZ_MARKER = "fuzz"


def register_profiles() -> None:
    """Register the ``heavy`` profile (idempotent)."""
    settings.register_profile(
        "heavy",
        max_examples=HEAVY_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def fuzz_examples(minimum: int = FUZZ_MIN_EXAMPLES) -> int:
    """How many examples a fuzz test runs under the active profile: at least ``minimum``."""
    # settings() with no arguments is the active profile's settings.
    return max(minimum, settings().max_examples)


def fuzz_settings(minimum: int = FUZZ_MIN_EXAMPLES) -> settings:
    """Settings for a fuzz test, read when the test runs so they follow the active profile.

    ``minimum`` lowers the floor for slow properties that are not the
    parser fuzzing the project promises 2,000 examples for. No deadline: a
    loaded CI machine must not turn a slow example into a failure.
    """
    return settings(max_examples=fuzz_examples(minimum), deadline=None, suppress_health_check=[HealthCheck.too_slow])
