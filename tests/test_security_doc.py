"""docs/security.md names the tests that prove each defence; every one of them must exist.

The ids are pytest node ids from the repository root (``path/to/test_x.py::test_name``
or ``...::TestClass::test_name``, optionally with a ``[parameter]`` suffix). They are
checked by reading each file's syntax tree, so nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
NODE_ID = re.compile(r"`(?P<path>[\w./-]+\.py)(?P<names>(?:::\w+)+)(?:\[[^\]`]*\])?`")


def listed_ids() -> list[str]:
    return [match.group(0).strip("`") for match in NODE_ID.finditer(DOC.read_text(encoding="utf-8"))]


@cache
def defined_tests(path: Path) -> frozenset[tuple[str, ...]]:
    """(function,) for module-level tests and (class, method) for methods of module-level classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[tuple[str, ...]] = set()
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in tree.body:
        if isinstance(node, functions):
            found.add((node.name,))
        elif isinstance(node, ast.ClassDef):
            found |= {(node.name, item.name) for item in node.body if isinstance(item, functions)}
    return frozenset(found)


def check(node_id: str) -> str | None:
    """What is wrong with ``node_id``, or None when it names an existing test."""
    match = NODE_ID.fullmatch(f"`{node_id}`")
    assert match is not None
    path = ROOT / match.group("path")
    names = tuple(match.group("names").split("::")[1:])
    if not path.is_file():
        return f"{match.group('path')} does not exist"
    if not path.name.startswith("test_") or not names[-1].startswith("test_"):
        return "a node id must name a test_*.py file and a test_* function"
    if len(names) == 2 and not names[0].startswith("Test"):
        return f"{names[0]} is not a Test* class"
    if len(names) > 2 or names not in defined_tests(path):
        return f"{'::'.join(names)} is not defined in {match.group('path')}"
    return None


def test_the_threat_model_lists_many_tests() -> None:
    ids = listed_ids()
    assert len(ids) >= 100, f"docs/security.md lists only {len(ids)} test ids"


@pytest.mark.parametrize("node_id", sorted(set(listed_ids())))
def test_listed_test_exists(node_id: str) -> None:
    problem = check(node_id)
    assert problem is None, f"docs/security.md lists {node_id}: {problem}"


def test_every_row_of_a_tests_column_names_a_test() -> None:
    rows_without: list[str] = []
    tests_column: int | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            tests_column = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if tests_column is None:
            tests_column = cells.index("tests") if "tests" in cells else -1
            continue
        if tests_column < 0 or set(cells[0]) <= {"-", " ", ":"}:
            continue
        if not NODE_ID.search(cells[tests_column]):
            rows_without.append(cells[0])
    assert rows_without == [], f"rows with no test id in their tests column: {rows_without}"


def test_the_checker_catches_missing_files_and_tests() -> None:
    assert check("tests/test_security_doc.py::test_listed_test_exists") is None
    assert check("tests/test_security_doc.py::test_listed_test_exists[some-id]") is None
    assert check("tests/no_such_file.py::test_x") == "tests/no_such_file.py does not exist"
    assert "is not defined" in (check("tests/test_security_doc.py::test_no_such_test") or "")
    assert "is not defined" in (check("tests/test_security_doc.py::TestNothing::test_listed_test_exists") or "")
    assert "test_* function" in (check("tests/test_security_doc.py::check") or "")
