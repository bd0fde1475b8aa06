"""Every hook specification is typed, documented in docs/hooks.md and named by a test.

Hook specifications are found in the syntax trees of every first-party
``src/`` folder (functions decorated with ``hookspec``), so nothing is imported:
this runs with pytest alone, in the nox ``wheels`` session's meta step. A new
grant's ``hookspecs.py`` is picked up with no list to edit.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "hooks.md"
PACKAGES = [ROOT / "oauth2_core", ROOT / "oauth2_testing", ROOT / "oauth2_django", *sorted((ROOT / "grants").glob("*"))]
# A heading such as "### `oauth2_host_find_client(client_id) -> Client | None`".
DOC_HEADING = re.compile(r"^#+\s+`(?P<name>oauth2_\w+)\((?P<arguments>[^)]*)\)", re.MULTILINE)


@dataclass(frozen=True)
class Spec:
    name: str
    arguments: tuple[str, ...]
    location: str
    node: ast.FunctionDef


def is_hookspec_marker(decorator: ast.expr) -> bool:
    """``@hookspec``, ``@hookspec(firstresult=True)``, or either through a module attribute."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "hookspec") or (
        isinstance(target, ast.Attribute) and target.attr == "hookspec"
    )


@cache
def hookspecs() -> tuple[Spec, ...]:
    found: list[Spec] = []
    for package in PACKAGES:
        for path in sorted((package / "src").rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and any(map(is_hookspec_marker, node.decorator_list)):
                    arguments = tuple(argument.arg for argument in node.args.args if argument.arg != "self")
                    location = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.append(Spec(node.name, arguments, location, node))
    return tuple(found)


def spec_ids() -> list[str]:
    return [spec.name for spec in hookspecs()]


@cache
def documented() -> dict[str, tuple[str, ...]]:
    """Hook name -> argument names, from the headings of docs/hooks.md."""
    headings = DOC_HEADING.finditer(DOC.read_text(encoding="utf-8"))
    return {
        match["name"]: tuple(part.strip() for part in match["arguments"].split(",") if part.strip())
        for match in headings
    }


@cache
def sources_in_test_trees() -> dict[str, str]:
    """Relative path -> text of every Python file in the repository's test trees, this file excluded."""
    trees = [ROOT / "tests", *(package / "tests" for package in PACKAGES)]
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for tree in trees
        for path in sorted(tree.rglob("*.py"))
        if path.resolve() != Path(__file__).resolve()
    }


def test_hookspecs_are_found() -> None:
    # Guards every other test here: finding nothing would make them all pass vacuously.
    names = set(spec_ids())
    assert {"oauth2_grant_types", "oauth2_host_find_client", "oauth2_store_save_tokens"} <= names, sorted(names)
    duplicates = sorted({name for name in spec_ids() if spec_ids().count(name) > 1})
    assert not duplicates, f"hook names declared twice: {duplicates}"


@pytest.mark.parametrize("spec", hookspecs(), ids=spec_ids())
def test_hookspec_is_typed_and_says_when_it_fires(spec: Spec) -> None:
    assert spec.name.startswith("oauth2_"), f"{spec.location}: every hook name starts with 'oauth2_'"
    unannotated = [argument.arg for argument in spec.node.args.args if argument.annotation is None]
    unannotated = [name for name in unannotated if name != "self"]
    assert not unannotated, f"{spec.location}: annotate the arguments {unannotated}"
    assert spec.node.returns is not None, f"{spec.location}: annotate the return type"
    docstring = ast.get_docstring(spec.node) or ""
    assert "fires" in docstring.lower(), f"{spec.location}: the docstring must say when the hook fires"


@pytest.mark.parametrize("spec", hookspecs(), ids=spec_ids())
def test_hookspec_is_documented(spec: Spec) -> None:
    docs = documented()
    assert spec.name in docs, (
        f"{spec.name} ({spec.location}) is not in {DOC.relative_to(ROOT)}: "
        f"add a heading '### `{spec.name}({', '.join(spec.arguments)})`' with when it fires and what it returns"
    )
    assert docs[spec.name] == spec.arguments, (
        f"{DOC.relative_to(ROOT)} documents {spec.name}({', '.join(docs[spec.name])}), "
        f"but {spec.location} declares ({', '.join(spec.arguments)})"
    )


def test_documented_hooks_exist() -> None:
    stale = sorted(set(documented()) - set(spec_ids()))
    assert not stale, f"{DOC.relative_to(ROOT)} documents hooks no package declares: {stale}"


@pytest.mark.parametrize("spec", hookspecs(), ids=spec_ids())
def test_hookspec_is_named_by_a_test(spec: Spec) -> None:
    # A low bar on purpose: it catches a hook nobody thought to test, not a weak test.
    word = re.compile(rf"\b{re.escape(spec.name)}\b")
    users = [path for path, text in sources_in_test_trees().items() if word.search(text)]
    assert users, (
        f"no test file names {spec.name} ({spec.location}): add a test that implements or calls it "
        "(the package that declares it owns that test)"
    )
