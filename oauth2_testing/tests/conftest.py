"""Fixtures for the kit's own tests: a throwaway installed grant distribution."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent
#: Import name of the example grant inside the throwaway distribution.
MODULE = "oauth2_testing_example_grant"
ENTRY_POINT = "ticket"


@pytest.fixture(scope="session")
def ticket_grant_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """``example_grant.py`` installed as distribution ``oauth2-testing-example`` with entry point ``ticket``.

    A ``.dist-info`` directory on ``sys.path`` is exactly what importlib.metadata
    reads for a pip-installed package, so the entry point is found and loaded
    the production way.
    """
    site = tmp_path_factory.mktemp("site")
    shutil.copy(HERE / "example_grant.py", site / f"{MODULE}.py")
    dist_info = site / "oauth2_testing_example-0.1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: oauth2-testing-example\nVersion: 0.1.0\n")
    (dist_info / "entry_points.txt").write_text(f"[oauth2_core.grants]\n{ENTRY_POINT} = {MODULE}\n")
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(MODULE)
    finally:
        sys.path.remove(str(site))
        sys.modules.pop(MODULE, None)
        importlib.invalidate_caches()
