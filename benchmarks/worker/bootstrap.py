"""Start Django for one system's benchmark project inside that system's virtualenv.

Every worker script imports this first: it puts the shared ``benchcommon``
package and the system's ``benchproject`` on ``sys.path`` and sets up Django
with the database and hasher the driver chose through ``BENCH_DB`` and
``BENCH_HASHER``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

BENCH_ROOT = Path(__file__).resolve().parent.parent
PROJECTS = BENCH_ROOT / "projects"
SYSTEMS = ("ours", "dot", "do2")


def project_dir(system: str) -> Path:
    if system not in SYSTEMS:
        raise SystemExit(f"unknown system {system!r}: expected one of {', '.join(SYSTEMS)}")
    return PROJECTS / system


def setup_django(system: str) -> ModuleType:
    """Configure Django for ``system`` and return its ``benchproject.system`` adapter module."""
    for path in (PROJECTS / "common", project_dir(system)):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchproject.settings"
    import django

    django.setup()
    from benchproject import system as adapter

    return adapter
