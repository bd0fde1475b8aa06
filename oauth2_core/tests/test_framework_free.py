"""The core never imports Django (or any web framework): checked in the source and at run time."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import oauth2_core

FRAMEWORKS = ("django", "flask", "starlette", "fastapi", "werkzeug", "rest_framework")


def package_folder() -> Path:
    spec = importlib.util.find_spec("oauth2_core")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def imported_roots(source: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in {
            "import_module",
            "__import__",
        }:
            # Dynamic imports with a literal name count too.
            roots |= {
                arg.value.split(".")[0]
                for arg in node.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            }
    return roots


def test_no_module_imports_a_web_framework() -> None:
    modules = sorted(package_folder().rglob("*.py"))
    assert len(modules) >= 10, "the walk found too few modules: is this the installed oauth2_core?"
    offenders = {
        str(module.relative_to(package_folder())): sorted(imported_roots(module) & set(FRAMEWORKS))
        for module in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_only_pluggy_and_the_standard_library_are_imported() -> None:
    allowed = set(sys.stdlib_module_names) | {"oauth2_core", "pluggy"}
    roots = set().union(*(imported_roots(module) for module in package_folder().rglob("*.py")))
    assert roots - allowed == set()


IMPORT_ALL = """
import importlib, json, pkgutil, sys
import oauth2_core
for module in pkgutil.walk_packages(oauth2_core.__path__, "oauth2_core."):
    importlib.import_module(module.name)
frameworks = set(sys.argv[1:])
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in frameworks)))
"""


def test_importing_everything_loads_no_framework(tmp_path: Path) -> None:
    # Decoy frameworks that leave a trace when imported, so the check bites even where Django is not installed.
    for name in FRAMEWORKS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"open({str(tmp_path / name)!r} + '.imported', 'w').close()\n")
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, *FRAMEWORKS],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
    )
    assert json.loads(completed.stdout) == []
    assert sorted(path.name for path in tmp_path.glob("*.imported")) == []


def test_the_decoys_would_be_noticed(tmp_path: Path) -> None:
    (tmp_path / "django").mkdir()
    (tmp_path / "django" / "__init__.py").write_text(f"open({str(tmp_path)!r} + '/django.imported', 'w').close()\n")
    script = "import django, sys; print('django' in sys.modules)"
    env = {"PYTHONPATH": str(tmp_path), "PATH": ""}
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    assert completed.stdout.strip() == "True"
    assert (tmp_path / "django.imported").exists()


def test_the_checked_folder_is_the_imported_package() -> None:
    assert Path(oauth2_core.__file__).parent == package_folder()
