"""Entry-point discovery with real installed distributions.

Each scenario builds tiny throwaway distributions (a pyproject.toml and one
module) as wheels, installs them with the core into a fresh virtualenv and runs
a script there. Nothing is registered by hand, so what is tested is exactly
what a user's ``pip install`` produces: package metadata, entry points and
imports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from oauth2_core import GRANTS_GROUP, PLUGINS_GROUP

pytestmark = pytest.mark.slow

CORE_FOLDER = Path(__file__).resolve().parents[1]

HOST_MODULE = """
import contextlib

from oauth2_core import hookimpl


@hookimpl
def oauth2_host_find_client(client_id):
    return None


@hookimpl
def oauth2_host_transaction():
    return contextlib.nullcontext()


@hookimpl
def oauth2_store_save_tokens(tokens):
    return True


@hookimpl
def oauth2_store_rotate_refresh_token(consumed_digest, tokens):
    return False


@hookimpl
def oauth2_store_find_access_token(digest):
    return None


@hookimpl
def oauth2_store_find_refresh_token(digest):
    return None


@hookimpl
def oauth2_store_revoke_family(family_id):
    return 0
"""

GRANT_MODULE = """
from oauth2_core import Grant, GrantRequest, hookimpl


class ToyGrant(Grant):
    grant_type = {grant_type!r}

    def parse_token_request(self, form):
        return GrantRequest(self.grant_type, None)

    def validate_token_request(self, request, client, context):
        raise NotImplementedError


@hookimpl
def oauth2_grant_types(config):
    return [ToyGrant()]
"""

BROKEN_MODULE = """
raise ImportError("toy_grant_broken needs a library that is not installed")
"""

# Runs inside a scenario's virtualenv: build a server from ServerConfig fields and report what happened.
PROBE = """
import json, sys
from oauth2_core import ConfigurationError, ServerConfig, build_server

try:
    server = build_server(ServerConfig.from_mapping(json.loads(sys.argv[1])))
except ConfigurationError as exc:
    result = {"error": str(exc)}
else:
    result = {"sources": {name: entry.source for name, entry in server.registry.items()}}
result["imported"] = sorted(name for name in sys.modules if name.startswith("toy_"))
print(json.dumps(result))
"""


@dataclass(frozen=True)
class Toy:
    """A throwaway distribution: one module, some entry points."""

    name: str
    version: str
    module: str
    source: str
    entry_points: dict[str, dict[str, str]] = field(default_factory=dict)

    def write(self, folder: Path) -> Path:
        project = folder / self.name
        (project / self.module).mkdir(parents=True, exist_ok=True)
        (project / self.module / "__init__.py").write_text(textwrap.dedent(self.source))
        groups = "".join(
            f'\n[project.entry-points."{group}"]\n' + "".join(f'"{k}" = "{v}"\n' for k, v in points.items())
            for group, points in self.entry_points.items()
        )
        (project / "pyproject.toml").write_text(
            textwrap.dedent(
                f"""\
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "{self.name}"
                version = "{self.version}"
                dependencies = ["oauth2-core"]
                """
            )
            + groups
            + f'\n[tool.hatch.build.targets.wheel]\npackages = ["{self.module}"]\n'
        )
        return project


def grant(name: str, version: str, entry_point: str, grant_type: str) -> Toy:
    module = name.replace("-", "_")
    return Toy(name, version, module, GRANT_MODULE.format(grant_type=grant_type), {GRANTS_GROUP: {entry_point: module}})


def host(name: str, version: str, entry_point: str) -> Toy:
    module = name.replace("-", "_")
    return Toy(name, version, module, HOST_MODULE, {PLUGINS_GROUP: {entry_point: module}})


HOST = host("toy-host", "1.0.0", "toyhost")
SECOND_HOST = host("toy-host-two", "2.0.0", "toyhost2")
ALPHA = grant("toy-grant-alpha", "1.0.0", "alpha", "urn:toy:alpha")
ALPHA_CLONE = grant("toy-grant-alpha-clone", "2.0.0", "alpha-clone", "urn:toy:alpha")
IMPOSTER = grant("toy-grant-imposter", "3.0.0", "alpha", "urn:toy:imposter")
BROKEN = Toy(
    "toy-grant-broken", "0.3.0", "toy_grant_broken", BROKEN_MODULE, {GRANTS_GROUP: {"broken": "toy_grant_broken"}}
)


def find_uv() -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    return str(find_uv_bin())


class Installer:
    """Builds wheels and virtualenvs with uv when it is there (fast), else with pip and venv."""

    def __init__(self) -> None:
        self.uv = find_uv()

    def run(self, *command: str | Path) -> None:
        completed = subprocess.run([str(part) for part in command], capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, command))} failed:\n{completed.stdout}\n{completed.stderr}")

    def wheel(self, project: Path, out_dir: Path) -> Path:
        if self.uv:
            self.run(self.uv, "build", "--quiet", "--wheel", "--out-dir", out_dir, project)
        else:
            self.run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out_dir, project)
        (built,) = out_dir.glob(project.name.replace("-", "_") + "-*.whl")
        return built

    def venv(self, folder: Path, wheels: Sequence[Path]) -> Path:
        python = folder / "bin" / "python"
        if self.uv:
            self.run(self.uv, "venv", "--quiet", "--python", sys.executable, folder)
            self.run(self.uv, "pip", "install", "--quiet", "--python", python, *wheels)
        else:
            self.run(sys.executable, "-m", "venv", folder)
            self.run(python, "-m", "pip", "install", "--quiet", *wheels)
        return python


class Lab:
    """Wheels built once per test session; one fresh virtualenv per scenario."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.installer = Installer()
        self.wheels: dict[str, Path] = {}
        self.core_wheel = self.installer.wheel(CORE_FOLDER, root / "wheels" / "core")

    def toy_wheel(self, toy: Toy) -> Path:
        if toy.name not in self.wheels:
            project = toy.write(self.root / "sources")
            self.wheels[toy.name] = self.installer.wheel(project, self.root / "wheels" / toy.name)
        return self.wheels[toy.name]

    def environment(self, *toys: Toy) -> Scenario:
        folder = self.root / "venvs" / ("-".join(toy.name for toy in toys) or "core-only")
        python = self.installer.venv(folder, [self.core_wheel, *map(self.toy_wheel, toys)])
        return Scenario(python)


@dataclass(frozen=True)
class Scenario:
    python: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
        return subprocess.run([str(self.python), *args], capture_output=True, text=True, env=env, check=False)

    def build(self, **settings: Any) -> dict[str, Any]:
        completed = self.run("-c", PROBE, json.dumps(settings))
        assert completed.returncode == 0, completed.stderr
        result: dict[str, Any] = json.loads(completed.stdout)
        return result

    def list_plugins(self) -> list[list[str]]:
        completed = self.run("-m", "oauth2_core", "plugins")
        assert completed.returncode == 0, completed.stderr
        assert completed.stderr == ""
        return [line.split() for line in completed.stdout.splitlines()]


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield Lab(tmp_path_factory.mktemp("plugin-lab"))


@pytest.fixture(scope="module")
def with_broken(lab: Lab) -> Scenario:
    """The host, a working grant and a grant whose import fails."""
    return lab.environment(HOST, ALPHA, BROKEN)


class TestDiscovery:
    def test_enabled_grant_loads_from_its_distribution(self, with_broken: Scenario) -> None:
        result = with_broken.build(grants=["alpha"])
        assert result["sources"] == {"urn:toy:alpha": "plugin 'alpha' from distribution toy-grant-alpha 1.0.0"}

    def test_disabled_grant_is_never_imported(self, with_broken: Scenario) -> None:
        # The broken grant is installed beside alpha; enabling only alpha must not even import it.
        result = with_broken.build(grants=["alpha"])
        assert "error" not in result
        assert result["imported"] == ["toy_grant_alpha", "toy_host"]

    def test_grant_failing_to_import_names_its_distribution(self, with_broken: Scenario) -> None:
        result = with_broken.build()  # grants=None: everything installed, the broken one included
        assert result["error"] == (
            "grant 'broken' from distribution toy-grant-broken 0.3.0 failed to load: "
            "ImportError: toy_grant_broken needs a library that is not installed"
        )

    def test_enabled_but_not_installed_grant(self, with_broken: Scenario) -> None:
        result = with_broken.build(grants=["alpha", "beta"])
        assert result["error"] == (
            "grant 'beta' is enabled but not installed: no distribution provides it in entry-point group "
            "'oauth2_core.grants' (installed: alpha, broken)"
        )

    def test_enabled_but_not_installed_extension(self, with_broken: Scenario) -> None:
        result = with_broken.build(grants=["alpha"], plugins=["toyhost", "metrics"])
        assert result["error"] == (
            "plugin 'metrics' is enabled but not installed: no distribution provides it in entry-point group "
            "'oauth2_core.plugins' (installed: toyhost)"
        )

    def test_cli_lists_plugins_from_metadata_without_importing_them(self, with_broken: Scenario) -> None:
        # The broken grant would crash the command if it were imported.
        assert with_broken.list_plugins() == [
            ["group", "name", "distribution", "version", "target"],
            ["oauth2_core.grants", "alpha", "toy-grant-alpha", "1.0.0", "toy_grant_alpha"],
            ["oauth2_core.grants", "broken", "toy-grant-broken", "0.3.0", "toy_grant_broken"],
            ["oauth2_core.plugins", "toyhost", "toy-host", "1.0.0", "toy_host"],
        ]

    def test_cli_usage_errors(self, with_broken: Scenario) -> None:
        completed = with_broken.run("-m", "oauth2_core")
        assert completed.returncode == 2
        assert "plugins" in completed.stderr


def test_two_distributions_declaring_one_grant_type(lab: Lab) -> None:
    result = lab.environment(HOST, ALPHA, ALPHA_CLONE).build()
    assert result["error"] == (
        "grant type 'urn:toy:alpha' is declared twice: "
        "by plugin 'alpha' from distribution toy-grant-alpha 1.0.0 and "
        "by plugin 'alpha-clone' from distribution toy-grant-alpha-clone 2.0.0"
    )


def test_two_distributions_with_one_entry_point_name(lab: Lab) -> None:
    result = lab.environment(HOST, ALPHA, IMPOSTER).build(grants=["alpha"])
    assert result["error"] == (
        "grant 'alpha' is provided by several distributions: toy-grant-alpha 1.0.0, toy-grant-imposter 3.0.0"
    )
    assert result["imported"] == []


def test_two_hosts_name_both_distributions(lab: Lab) -> None:
    result = lab.environment(HOST, SECOND_HOST, ALPHA).build()
    assert result["error"] == (
        "hook 'oauth2_host_find_client' must have exactly one implementation, found: "
        "plugin 'toyhost' from distribution toy-host 1.0.0; plugin 'toyhost2' from distribution toy-host-two 2.0.0"
    )


def test_no_host_installed(lab: Lab) -> None:
    scenario = lab.environment(ALPHA)
    assert scenario.build()["error"] == (
        "the token endpoint needs an implementation of hook 'oauth2_host_find_client', and no plugin provides one"
    )
    assert scenario.list_plugins()[1:] == [
        ["oauth2_core.grants", "alpha", "toy-grant-alpha", "1.0.0", "toy_grant_alpha"]
    ]


def test_cli_with_nothing_installed(lab: Lab) -> None:
    completed = lab.environment().run("-m", "oauth2_core", "plugins")
    assert (completed.returncode, completed.stdout) == (0, "no grants or extensions installed\n")
