"""The three systems under test and what each one installs.

All three run on the same Django: 5.2 LTS. django-oauth-toolkit 3.4.1
declares Django 4.2 to 6.0; django-oauth2 5.1.2 declares no Django range and
runs on 5.2 (its code still uses APIs that 5.2 keeps); ours requires 5.2 or
newer; and Django 6 needs Python 3.12, while the benchmark must also run on
the project's default 3.11. 5.2 is the one version all three accept
everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BENCH_ROOT = Path(__file__).resolve().parent.parent
REPO_ROOT = BENCH_ROOT.parent
DJANGO = "Django>=5.2,<5.3"
GUNICORN = "gunicorn>=23"
#: First-party distributions, installed non-editable from the work tree in dependency order.
OUR_PACKAGES = ("oauth2_core", "grants/password", "grants/refresh", "oauth2_django")


@dataclass(frozen=True)
class System:
    key: str
    label: str
    #: Requirements installed from the package index.
    requirements: tuple[str, ...]
    #: Folders of the work tree installed (non-editable, rebuilt every run).
    local: tuple[Path, ...] = ()


OURS = System(
    "ours",
    "oauth2-django (ours)",
    # hatchling builds our distributions; psycopg serves the PostgreSQL scale part.
    (DJANGO, GUNICORN, "psycopg[binary]>=3.1", "hatchling>=1.25"),
    tuple(REPO_ROOT / name for name in OUR_PACKAGES),
)
DOT = System("dot", "django-oauth-toolkit 3.4.1", ("django-oauth-toolkit==3.4.1", DJANGO, GUNICORN))
DO2 = System("do2", "django-oauth2 5.1.2", ("django-oauth2==5.1.2", DJANGO, GUNICORN))

SYSTEMS: dict[str, System] = {system.key: system for system in (OURS, DOT, DO2)}
PEERS = ("dot", "do2")
