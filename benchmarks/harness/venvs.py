"""One virtualenv per system: created with uv when it is on PATH, else with venv and pip.

The index packages are installed once and kept (re-running only checks
them); our own distributions are rebuilt from the work tree on every run so
the figures are always for the code as it stands.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness.systems import System


class InstallError(RuntimeError):
    pass


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def _run(command: list[str], log: Path) -> None:
    with log.open("a") as sink:
        sink.write("$ " + " ".join(command) + "\n")
        sink.flush()
        finished = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, check=False)
    if finished.returncode != 0:
        tail = log.read_text().splitlines()[-15:]
        raise InstallError(f"command failed ({finished.returncode}): {' '.join(command)}\n" + "\n".join(tail))


def ensure_system_venv(system: System, root: Path, log: Path) -> tuple[Path, float]:
    """Create (if needed) and fill the virtualenv of ``system``; return its interpreter and the seconds spent."""
    started = time.monotonic()
    venv = root / system.key
    uv = shutil.which("uv")
    python = python_of(venv)
    if not python.exists():
        if uv:
            _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], log)
        else:
            _run([sys.executable, "-m", "venv", str(venv)], log)
    if uv:
        install = [uv, "pip", "install", "--quiet", "--python", str(python)]
    else:
        install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*install, *system.requirements], log)
    if system.local:
        # The build backend is one of the requirements, so building needs no isolated environment.
        local = ["--no-build-isolation", *map(str, system.local)]
        # Always rebuild: a version-equal wheel from an older checkout would otherwise be kept.
        _run([*install, "--force-reinstall", "--no-deps", *local], log)
        # And bring in whatever the local distributions depend on.
        _run([*install, *local, *system.requirements], log)
    return python, time.monotonic() - started


def installed_versions(python: Path, names: tuple[str, ...]) -> dict[str, str]:
    """The installed version of each distribution in ``names`` (absent ones are left out)."""
    code = (
        "import json, sys\n"
        "from importlib import metadata\n"
        "found = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        found[name] = metadata.version(name)\n"
        "    except metadata.PackageNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(found))\n"
    )
    finished = subprocess.run([str(python), "-c", code, *names], capture_output=True, text=True, check=True)
    versions: dict[str, str] = json.loads(finished.stdout)
    return versions
