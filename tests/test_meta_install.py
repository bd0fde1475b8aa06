"""Installing grants is what enables them: wheels built from the folders, installed into a new virtualenv.

The issue's acceptance test: core + test kit + the password grant give a server
that knows ``password`` and nothing else; installing the refresh grant as well
adds ``refresh_token``. Nothing is registered by hand: the server is built the
way a host builds it, from installed entry points.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from meta_support import find_uv, succeed

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "core": ROOT / "oauth2_core",
    "testing": ROOT / "oauth2_testing",
    "password": ROOT / "grants" / "password",
    "refresh": ROOT / "grants" / "refresh",
}

# Runs inside the new virtualenv.
PROBE = """
import json
from oauth2_core import ServerConfig, build_server
from oauth2_testing.memory import MemoryHost, MemoryTokenStore

server = build_server(ServerConfig(), [MemoryHost(), MemoryTokenStore()])
print(json.dumps({name: entry.source for name, entry in server.registry.items()}))
"""


def build_wheel(folder: Path, out_dir: Path) -> Path:
    tool = find_uv()
    if tool:
        succeed(tool, "build", "--quiet", "--wheel", "--out-dir", out_dir, folder)
    else:
        succeed(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out_dir, folder)
    (wheel,) = out_dir.glob("*.whl")
    return wheel


class Venv:
    def __init__(self, folder: Path) -> None:
        self.tool = find_uv()
        self.python = folder / "bin" / "python"
        if self.tool:
            succeed(self.tool, "venv", "--quiet", "--python", sys.executable, folder)
        else:
            succeed(sys.executable, "-m", "venv", folder)

    def pip_install(self, *wheels: Path) -> None:
        if self.tool:
            succeed(self.tool, "pip", "install", "--quiet", "--python", self.python, *wheels)
        else:
            succeed(self.python, "-m", "pip", "install", "--quiet", *wheels)

    def registry(self) -> dict[str, str]:
        sources: dict[str, str] = json.loads(succeed(self.python, "-c", PROBE))
        return sources

    def listed_grants(self) -> list[str]:
        lines = succeed(self.python, "-m", "oauth2_core", "plugins").splitlines()
        return [line.split()[1] for line in lines[1:] if line.startswith("oauth2_core.grants")]


def test_installed_grants_are_exactly_the_enabled_ones(tmp_path: Path) -> None:
    wheels = {name: build_wheel(folder, tmp_path / "wheels" / name) for name, folder in FOLDERS.items()}
    venv = Venv(tmp_path / "venv")

    venv.pip_install(wheels["core"], wheels["testing"], wheels["password"])
    assert venv.registry() == {
        "password": "plugin 'password' from distribution oauth2-grant-password 0.1.0",
    }
    assert venv.listed_grants() == ["password"]

    venv.pip_install(wheels["refresh"])
    assert venv.registry() == {
        "password": "plugin 'password' from distribution oauth2-grant-password 0.1.0",
        "refresh_token": "plugin 'refresh_token' from distribution oauth2-grant-refresh 0.1.0",
    }
    assert venv.listed_grants() == ["password", "refresh_token"]
