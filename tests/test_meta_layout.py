"""Every grant folder has the shape of ``templates/grant``, and the template works from a built wheel.

The shape is read from ``pyproject.toml`` files and syntax trees, so nothing
is imported: this runs with pytest alone, in the nox ``wheels`` session's meta
step. The template is held to the same shape (under its placeholder name
``example``), so the skeleton a third party copies and the rules the
first-party grants follow cannot drift apart.
"""

from __future__ import annotations

import ast
import re
import shutil
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from meta_support import find_uv, run, succeed
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
GRANTS = ROOT / "grants"
TEMPLATE = ROOT / "templates" / "grant"
CORE, TESTING, DJANGO = ROOT / "oauth2_core", ROOT / "oauth2_testing", ROOT / "oauth2_django"
GROUP = "oauth2_core.grants"
GRANT_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class GrantFolder:
    """A grant distribution's folder and the name its distribution, package and README derive from."""

    path: Path
    name: str

    @property
    def template(self) -> bool:
        return self.path == TEMPLATE

    @property
    def package(self) -> str:
        return f"oauth2_grant_{self.name}"

    @property
    def distribution(self) -> str:
        return f"oauth2-grant-{self.name.replace('_', '-')}"

    def __str__(self) -> str:
        return str(self.path.relative_to(ROOT))


def grant_folders() -> list[GrantFolder]:
    folders = sorted(path for path in GRANTS.iterdir() if path.is_dir() and not path.name.startswith((".", "_")))
    return [GrantFolder(path, path.name) for path in folders]


# The template is held to the grants' shape under its placeholder name.
folder_parameters = pytest.mark.parametrize("folder", [*grant_folders(), GrantFolder(TEMPLATE, "example")], ids=str)


@cache
def pyproject(path: Path) -> dict[str, Any]:
    with (path / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def project(folder: GrantFolder) -> dict[str, Any]:
    if not (folder.path / "pyproject.toml").is_file():
        pytest.fail(f"{folder} has no pyproject.toml; copy templates/grant to start a grant")
    table: dict[str, Any] = pyproject(folder.path).get("project", {})
    return table


def first_party_version() -> str:
    version: str = pyproject(CORE)["project"]["version"]
    return version


def requirements(folder: GrantFolder) -> Iterator[tuple[str, Requirement]]:
    """(where, requirement) for every requirement: dependencies, extras and dependency groups."""
    table = project(folder)
    for item in table.get("dependencies", []):
        yield "dependencies", Requirement(item)
    for extra, items in table.get("optional-dependencies", {}).items():
        yield from ((f"the {extra} extra", Requirement(item)) for item in items)
    for group, items in pyproject(folder.path).get("dependency-groups", {}).items():
        # A group may include another group as a table; only strings are requirements.
        yield from ((f"the {group} group", Requirement(item)) for item in items if isinstance(item, str))


def first_party_names() -> set[str]:
    folders = [CORE, TESTING, DJANGO, *(folder.path for folder in grant_folders())]
    return {
        canonicalize_name(pyproject(path)["project"]["name"]) for path in folders if (path / "pyproject.toml").is_file()
    }


def modules_in_tests(folder: GrantFolder) -> list[Path]:
    return sorted((folder.path / "tests").rglob("test_*.py"))


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


# -- pyproject.toml -------------------------------------------------------------


def test_grant_folders_are_found() -> None:
    # Guards the parametrized tests: an empty grants/ would make them pass vacuously.
    assert {"password", "refresh"} <= {folder.name for folder in grant_folders()}


@pytest.mark.parametrize("folder", grant_folders(), ids=str)
def test_folder_name_is_a_grant_name(folder: GrantFolder) -> None:
    assert GRANT_NAME.fullmatch(folder.name), (
        f"{folder}: name grant folders in lower case, letters, digits and underscores (it becomes {folder.package})"
    )


@folder_parameters
def test_distribution_is_named_for_the_folder(folder: GrantFolder) -> None:
    name = project(folder).get("name", "")
    assert canonicalize_name(name) == folder.distribution, f"{folder}: name the distribution {folder.distribution!r}"


@folder_parameters
def test_exactly_one_entry_point_into_the_package(folder: GrantFolder) -> None:
    entry_points = project(folder).get("entry-points", {}).get(GROUP, {})
    assert len(entry_points) == 1, (
        f"{folder}: declare exactly one entry point in [project.entry-points.{GROUP!r}], found {sorted(entry_points)}"
    )
    ((name, target),) = entry_points.items()
    module = target.partition(":")[0].strip()
    assert module == folder.package or module.startswith(f"{folder.package}."), (
        f"{folder}: the entry point {name!r} must point into {folder.package}, not {target!r}"
    )
    source = folder.path / "src" / Path(*module.split("."))
    assert source.with_suffix(".py").is_file() or (source / "__init__.py").is_file(), (
        f"{folder}: the entry point {name!r} names {module}, which is not in src/"
    )


@folder_parameters
def test_src_layout_package(folder: GrantFolder) -> None:
    package = folder.path / "src" / folder.package
    assert (package / "__init__.py").is_file(), f"{folder}: the package goes in src/{folder.package}/"
    assert (package / "py.typed").is_file(), f"{folder}: add src/{folder.package}/py.typed (the package is typed)"
    built = pyproject(folder.path).get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {})
    packages = built.get("wheel", {}).get("packages")
    assert packages == [f"src/{folder.package}"], (
        f"{folder}: set [tool.hatch.build.targets.wheel] packages = ['src/{folder.package}']"
    )


@folder_parameters
def test_readme_names_the_distribution_and_entry_point(folder: GrantFolder) -> None:
    readme = folder.path / "README.md"
    assert readme.is_file(), f"{folder}: add a README.md (it is the distribution's long description)"
    assert project(folder).get("readme") == "README.md", f"{folder}: set readme = 'README.md' in [project]"
    text = readme.read_text(encoding="utf-8")
    assert folder.distribution in text, f"{folder}: README.md should name the distribution {folder.distribution}"
    for name in project(folder).get("entry-points", {}).get(GROUP, {}):
        assert f"`{name}`" in text, f"{folder}: README.md should say the grant is enabled as `{name}`"


@folder_parameters
def test_version_and_first_party_requirements(folder: GrantFolder) -> None:
    version = first_party_version()
    declared: dict[str, Requirement] = {
        canonicalize_name(requirement.name): requirement for _, requirement in requirements(folder)
    }
    runtime = {
        canonicalize_name(requirement.name) for where, requirement in requirements(folder) if where == "dependencies"
    }
    assert "oauth2-core" in runtime, f"{folder}: a grant depends on oauth2-core"
    if folder.template:
        # A third party versions its grant itself; it only has to install beside the current release.
        for name in ("oauth2-core", "oauth2-testing"):
            assert name in declared, f"{folder}: the template must declare {name}"
            assert declared[name].specifier.contains(version), (
                f"{folder}: {declared[name]} does not admit the current version {version}"
            )
        return
    assert project(folder).get("version") == version, (
        f"{folder}: first-party distributions share one version; set version = {version!r} (from oauth2_core)"
    )
    own = first_party_names()
    for where, requirement in requirements(folder):
        if canonicalize_name(requirement.name) in own:
            assert str(requirement.specifier) == f"=={version}", (
                f"{folder}: pin {requirement.name} in {where} to =={version}, like the other first-party requirements"
            )


def test_first_party_distributions_share_one_version() -> None:
    folders = [CORE, TESTING, DJANGO, *(folder.path for folder in grant_folders())]
    versions = {
        str(path.relative_to(ROOT)): pyproject(path)["project"].get("version")
        for path in folders
        if (path / "pyproject.toml").is_file()
    }
    assert len(set(versions.values())) == 1, f"first-party versions differ: {versions}"


# -- tests/ -----------------------------------------------------------------------


def contract_subclasses(tree: ast.Module) -> Iterator[ast.ClassDef]:
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = {base.id if isinstance(base, ast.Name) else getattr(base, "attr", None) for base in node.bases}
            if "GrantContract" in bases:
                yield node


def class_constant(node: ast.ClassDef, name: str) -> object:
    for statement in node.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        value = getattr(statement, "value", None)
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return value.value if isinstance(value, ast.Constant) else value
    return None


def is_fuzz_mark(node: ast.expr) -> bool:
    """``pytest.mark.fuzz`` or ``mark.fuzz``, called or not, alone or in a list of marks."""
    if isinstance(node, ast.List | ast.Tuple):
        return any(map(is_fuzz_mark, node.elts))
    target = node.func if isinstance(node, ast.Call) else node
    if not (isinstance(target, ast.Attribute) and target.attr == "fuzz"):
        return False
    owner = target.value
    return (isinstance(owner, ast.Name) and owner.id == "mark") or (
        isinstance(owner, ast.Attribute) and owner.attr == "mark"
    )


def marked_by_pytestmark(body: list[ast.stmt]) -> bool:
    return any(
        isinstance(statement, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "pytestmark" for target in statement.targets)
        and is_fuzz_mark(statement.value)
        for statement in body
    )


def fuzz_tests(tree: ast.Module) -> Iterator[str]:
    """Names of the tests defined in ``tree`` that carry the ``fuzz`` mark (inherited tests are not seen)."""

    def tests_in(body: list[ast.stmt], marked: bool, prefix: str = "") -> Iterator[str]:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                if marked or any(map(is_fuzz_mark, node.decorator_list)):
                    yield prefix + node.name
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test") and not prefix:
                class_marked = marked or any(map(is_fuzz_mark, node.decorator_list)) or marked_by_pytestmark(node.body)
                yield from tests_in(node.body, class_marked, f"{node.name}.")

    return tests_in(tree.body, marked_by_pytestmark(tree.body))


@folder_parameters
def test_tests_subclass_the_grant_contract_for_the_entry_point(folder: GrantFolder) -> None:
    files = modules_in_tests(folder)
    assert files, f"{folder}: add tests/test_*.py"
    contracts = [(path, node) for path in files for node in contract_subclasses(parsed(path))]
    assert contracts, f"{folder}: subclass oauth2_testing.contracts.GrantContract in a tests/test_*.py module"
    entry_points = list(project(folder).get("entry-points", {}).get(GROUP, {}))
    entry_point = entry_points[0] if len(entry_points) == 1 else None  # more or fewer: its own test fails
    for path, node in contracts:
        where = f"{path.relative_to(ROOT)}::{node.name}"
        assert node.name.startswith("Test"), f"{where}: start the name with 'Test' so pytest collects it"
        assert class_constant(node, "entry_point_name") == entry_point, (
            f"{where}: set entry_point_name = {entry_point!r}, the entry point in pyproject.toml"
        )


@folder_parameters
def test_tests_fuzz_the_grant(folder: GrantFolder) -> None:
    marked = [name for path in modules_in_tests(folder) for name in fuzz_tests(parsed(path))]
    assert marked, (
        f"{folder}: besides the contract's fuzzing, add a hypothesis test of the grant's own parsing "
        "marked @pytest.mark.fuzz (the fuzz session reruns those under the heavy profile)"
    )


# -- the template, as a third party uses it ---------------------------------------------


@pytest.mark.slow
def test_template_copy_builds_and_passes_its_tests_from_a_wheel(tmp_path: Path) -> None:
    """What a third party does: copy the folder, build it, install the wheel beside oauth2-core, run its tests.

    The first-party grants get the same treatment (without fuzzing) in the nox
    ``wheels`` session; the template has no other session, so its fuzz tests run
    here, under hypothesis's default profile.
    """
    tool = find_uv() or pytest.fail("this test builds wheels with uv: pip install uv")
    copy = tmp_path / "grant"
    shutil.copytree(TEMPLATE, copy, ignore=shutil.ignore_patterns("__pycache__", ".*", "*.egg-info", "build", "dist"))
    wheels = tmp_path / "wheels"
    for source in (CORE, TESTING, copy):
        succeed(tool, "build", "--quiet", "--wheel", "--out-dir", wheels / source.name, source)
    core, testing, grant = (next((wheels / source.name).glob("*.whl")) for source in (CORE, TESTING, copy))
    venv = tmp_path / "venv"
    succeed(tool, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    succeed(tool, "pip", "install", "--quiet", "--python", python, core, testing, f"{grant}[test]")

    report = tmp_path / "report.xml"
    # From the copy, as its author would: its own pyproject.toml configures pytest.
    completed = run(venv / "bin" / "pytest", "-p", "no:cacheprovider", f"--junitxml={report}", cwd=copy)
    assert completed.returncode == 0, f"the template's tests failed:\n{completed.stdout}\n{completed.stderr}"
    suite = ElementTree.parse(report).getroot().find("testsuite")  # noqa: S314 -- pytest wrote it just now
    assert suite is not None
    counts = {key: int(suite.get(key, "0")) for key in ("tests", "skipped", "failures", "errors")}
    assert counts["tests"] > 0 and counts["skipped"] == 0, f"the template's tests did not all run: {counts}"
    ran = {case.get("name", "") for case in suite.iter("testcase")}
    assert {"test_entry_point_loads_the_grant", "test_every_valid_form_parses_to_its_values"} <= ran, sorted(ran)
