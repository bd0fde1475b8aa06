"""Build tools for the meta tests that make wheels and virtualenvs: finding uv, and running commands cleanly."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

#: The caller's interpreter, virtualenv and hypothesis profile must not leak into a new environment.
_LEAKING = ("PYTHON", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "HYPOTHESIS_PROFILE")


def find_uv() -> str | None:
    """uv on PATH, else the one the ``uv`` package ships; None when neither is there."""
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    return str(find_uv_bin())


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_LEAKING)}
    parts = [str(part) for part in command]
    return subprocess.run(parts, capture_output=True, text=True, env=env, cwd=cwd, check=False)


def succeed(*command: str | Path, cwd: Path | None = None) -> str:
    """Run ``command``; fail the test with its output unless it exits 0. Returns its stdout."""
    completed = run(*command, cwd=cwd)
    assert completed.returncode == 0, f"{' '.join(map(str, command))} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout
