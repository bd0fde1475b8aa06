"""Every check the repository runs, as nox sessions.

Packages are found by glob, so adding a grant means adding a folder under
``grants/`` (with a ``pyproject.toml`` and a ``tests/`` folder) and nothing
else. Tests always run against installed distributions, never the source
tree, so entry points are the real ones. Third-party requirements of a
folder's tests go in its ``[dependency-groups] test`` (or a ``test`` extra);
tests marked ``fuzz`` are the ones the ``fuzz`` session reruns at length.

Default sessions (``python3 dev.py test``): lint, typecheck, core, wheels,
django, e2e, bench_smoke. On demand: ``demo`` (``python3 dev.py demo``),
``fuzz``, ``soak`` and ``bench``.
"""

from __future__ import annotations

import os
import re
import socket
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
# Every run starts from fresh virtualenvs; pass -r to reuse them on purpose.
nox.options.reuse_venv = "no"
nox.options.sessions = ["lint", "typecheck", "core", "wheels", "django", "e2e", "bench_smoke"]

ROOT = Path(__file__).resolve().parent
CORE = ROOT / "oauth2_core"
TESTING = ROOT / "oauth2_testing"
DJANGO = ROOT / "oauth2_django"
EXAMPLE = ROOT / "example"
CROSS_TESTS = ROOT / "tests"
BENCHMARKS = ROOT / "benchmarks"

# Pinned so that a new release cannot turn a green tree red overnight; bump on purpose.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"

# (python, Django series): the oldest supported pair and the newest Django on each newer Python.
DJANGO_MATRIX = [("3.11", "5.2"), ("3.12", "6.1"), ("3.13", "6.1")]
DJANGO_TEST_DEPS = ["pytest-django", "psycopg[binary]", "requests"]
# moto[server]: tests/e2e/test_aws_identity_demo.py verifies the aws_identity grant's signatures with moto_server.
E2E_DEPS = [
    "requests",
    "requests-oauthlib",
    "authlib",
    "hypothesis",
    "pytest",
    "psycopg[binary]",
    "gunicorn",
    "moto[server]",
]

POSTGRES_ADDRESS = ("127.0.0.1", 5432)
# The framework-free suites are CPU-bound (hypothesis) and share no state, so they use every core.
PARALLEL = ["pytest-xdist"]
PARALLEL_ARGS = ["--numprocesses", "auto"] if (os.cpu_count() or 1) > 1 else []


# -- discovery ----------------------------------------------------------------


def is_distribution(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file()


def grant_folders() -> list[Path]:
    """Every grant distribution under grants/, in a stable order."""
    return sorted(folder for folder in (ROOT / "grants").glob("*") if is_distribution(folder))


def distribution_name(folder: Path) -> str:
    name: str = pyproject(folder)["project"]["name"]
    return name


def pyproject(folder: Path) -> dict[str, Any]:
    with (folder / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def requirement_name(requirement: str) -> str:
    return canonical(re.split(r"[\s<>=!~;@\[]", requirement.strip(), maxsplit=1)[0])


def test_requirements(folder: Path) -> list[str]:
    """Third-party requirements of a folder's tests: ``[dependency-groups] test`` or the ``test`` extra.

    First-party names are left out: sessions install those from the folders or wheels.
    """
    data = pyproject(folder)
    declared = [
        *data.get("dependency-groups", {}).get("test", []),
        *data.get("project", {}).get("optional-dependencies", {}).get("test", []),
    ]
    own = first_party_names()
    return [item for item in declared if isinstance(item, str) and requirement_name(item) not in own]


def first_party_folders() -> list[Path]:
    """Every first-party distribution: core, test kit, grants, Django app (once it exists)."""
    folders = [CORE, TESTING, *grant_folders(), DJANGO]
    return [folder for folder in folders if is_distribution(folder)]


def first_party_names() -> set[str]:
    return {canonical(distribution_name(folder)) for folder in first_party_folders()}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def has_tests(folder: Path, *, exclude: str | None = None) -> bool:
    tests = [path for path in folder.rglob("test_*.py") if exclude is None or not path.match(exclude)]
    return bool(tests)


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


# -- shared steps -------------------------------------------------------------


def install_local(session: nox.Session, folders: Iterable[Path], *extra: str, for_tests: bool = True) -> None:
    """Install first-party folders as real (non-editable) distributions, with their tests' requirements."""
    folders = list(folders)
    # "./" so that installers read a folder, not a package name on the index.
    args = [f"./{relative(folder)}" for folder in folders]
    if for_tests:
        args += sorted({requirement for folder in folders for requirement in test_requirements(folder)})
    if session.venv_backend == "uv":
        # uv caches wheels it built from local folders; make sure edits since the last run are picked up.
        for name in sorted(first_party_names()):
            args += ["--refresh-package", name]
    session.install(*args, *extra)


def run_pytest(
    session: nox.Session,
    *args: str,
    label: str,
    env: Mapping[str, str] | None = None,
    venv: Path | None = None,
    success_codes: Iterable[int] = (0,),
) -> None:
    """Run pytest from the repository root (in ``venv`` if given); write a JUnit report when dev.py asks for one.

    Arguments after ``--`` on the nox command line are passed on, e.g. ``dev.py test -s core-3.11 -- -k form``.
    """
    report_args: list[str] = []
    report_dir = os.environ.get("OAUTH2_JUNIT_DIR")
    if report_dir:
        slug = re.sub(r"[^A-Za-z0-9.]+", "-", f"{session.name}-{label}").strip("-")
        report_args = [f"--junitxml={Path(report_dir) / slug}.xml"]
    # The pytest script (not `python -m pytest`) keeps the repository root off sys.path, so the
    # installed distributions are what gets imported.
    program = "pytest" if venv is None else str(venv / "bin" / "pytest")
    session.run(
        program,
        *args,
        *report_args,
        *session.posargs,
        env=dict(env or {}),
        external=venv is not None,
        success_codes=list(success_codes),
    )


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(POSTGRES_ADDRESS, timeout=2):
            return True
    except OSError:
        return False


def database_modes(session: nox.Session) -> list[str]:
    """SQLite always; PostgreSQL when reachable. CI must not silently lose the PostgreSQL run."""
    if postgres_reachable():
        return ["sqlite", "postgres"]
    host, port = POSTGRES_ADDRESS
    if os.environ.get("CI"):
        session.error(
            f"PostgreSQL is not reachable at {host}:{port}, and CI must run the PostgreSQL tests. "
            "Start the server (trust auth, database 'test') before running CI."
        )
    session.warn(
        f"*** PostgreSQL not reachable at {host}:{port}: skipping PostgreSQL tests (SQLite tests still run). "
        "Start PostgreSQL with a database 'test' to run them. ***"
    )
    return ["sqlite"]


def skip(session: nox.Session, reason: str) -> None:
    session.warn(f"*** {reason} ***")
    session.skip(reason)


# -- sessions -----------------------------------------------------------------


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository."""
    session.install(RUFF)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict (settings in pyproject.toml) on the framework-free packages, from their sources."""
    folders = [folder for folder in first_party_folders() if folder != DJANGO]
    packages: list[str] = []
    third_party: set[str] = set()
    own = first_party_names()
    for folder in folders:
        packages += [path.name for path in (folder / "src").iterdir() if (path / "__init__.py").is_file()]
        dependencies = pyproject(folder)["project"].get("dependencies", [])
        third_party |= {dep for dep in dependencies if requirement_name(dep) not in own}
    session.install(MYPY, *sorted(third_party))
    # Sources, not installed copies: mypy then reports paths a developer can open.
    mypy_path = os.pathsep.join(relative(folder / "src") for folder in folders)
    package_args = [arg for package in sorted(packages) for arg in ("-p", package)]
    session.run("mypy", *package_args, env={"MYPYPATH": mypy_path})


@nox.session(python=["3.11", "3.13"])
def core(session: nox.Session) -> None:
    """The framework-free suite: core, test kit and every grant, installed together."""
    # uv: the core tests build and install throwaway distributions with it.
    install_local(session, [CORE, TESTING, *grant_folders()], "uv", *PARALLEL)
    test_dirs = [folder / "tests" for folder in (CORE, TESTING, *grant_folders()) if has_tests(folder / "tests")]
    # One pytest run per distribution: each tests folder is self-contained, with its own conftest.
    for tests in test_dirs:
        run_pytest(session, relative(tests), *PARALLEL_ARGS, label=relative(tests.parent))


@nox.session
def wheels(session: nox.Session) -> None:
    """Build a wheel of every first-party folder; test each grant alone beside core and the test kit."""
    wheelhouse = Path(session.create_tmp()) / "wheelhouse"
    session.install("uv", "pytest")
    for folder in first_party_folders():
        out_dir = str(wheelhouse / folder.name)
        session.run("uv", "build", "--quiet", "--wheel", "--clear", "--out-dir", out_dir, relative(folder))
    base = [next((wheelhouse / folder.name).glob("*.whl")) for folder in (CORE, TESTING)]
    for grant in grant_folders():
        if not has_tests(grant / "tests"):
            session.warn(f"{relative(grant)} has no tests/ yet; nothing to run for it")
            continue
        venv = Path(session.create_tmp()) / f"alone-{grant.name}"
        session.run("uv", "venv", "--quiet", "--clear", "--python", session_python(session), str(venv))
        grant_wheel = next((wheelhouse / grant.name).glob("*.whl"))
        wheel_files = [str(wheel) for wheel in (*base, grant_wheel)]
        python = str(venv / "bin" / "python")
        requirements = [*test_requirements(grant), *PARALLEL]
        session.run("uv", "pip", "install", "--quiet", "--python", python, *wheel_files, *requirements)
        # Fuzz tests already ran on this code in the core sessions; here the question is packaging.
        alone_args = [relative(grant / "tests"), "-m", "not fuzz", *PARALLEL_ARGS]
        run_pytest(session, *alone_args, label=f"alone-{grant.name}", venv=venv)
    meta_tests = sorted(CROSS_TESTS.glob("test_meta_*.py"))
    if meta_tests:
        # --noconftest: the meta tests need nothing from tests/conftest.py, which belongs to the e2e suite.
        run_pytest(session, "--noconftest", *map(relative, meta_tests), label="meta")


def session_python(session: nox.Session) -> str:
    """The interpreter of the session's own virtualenv, so every per-grant venv uses the same Python."""
    return str(Path(session.bin) / "python")


@nox.session
@nox.parametrize(("python", "django"), DJANGO_MATRIX, ids=[f"{py}-django{dj}" for py, dj in DJANGO_MATRIX])
def django(session: nox.Session, django: str) -> None:
    """The Django app's suite on SQLite, then on PostgreSQL when reachable (required in CI)."""
    if not has_tests(DJANGO / "tests"):
        skip(session, "oauth2_django/tests does not exist yet: no Django tests to run")
    install_local(session, [CORE, TESTING, *grant_folders(), DJANGO], f"Django=={django}.*", *DJANGO_TEST_DEPS)
    for mode in database_modes(session):
        run_pytest(session, relative(DJANGO / "tests"), label=mode, env={"OAUTH2_TEST_DB": mode})


@nox.session
def e2e(session: nox.Session) -> None:
    """The example project over real HTTP on loopback, driven by independent clients."""
    if not has_tests(CROSS_TESTS, exclude="test_meta_*.py"):
        skip(session, "tests/ has no end-to-end tests yet")
    if not is_distribution(DJANGO) or not (EXAMPLE / "manage.py").is_file():
        skip(session, "the end-to-end tests need oauth2_django/ and example/, which do not exist yet")
    install_local(session, first_party_folders(), *E2E_DEPS, *example_requirements())
    for mode in database_modes(session):
        env = {"OAUTH2_TEST_DB": mode}
        run_pytest(session, relative(CROSS_TESTS), "--ignore-glob=*/test_meta_*.py", label=mode, env=env)


def example_requirements() -> list[str]:
    requirements = EXAMPLE / "requirements.txt"
    return ["-r", relative(requirements)] if requirements.is_file() else []


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """Serve the example project on 127.0.0.1:8000 with a demo user and client."""
    if not (EXAMPLE / "manage.py").is_file():
        skip(session, "example/ does not exist yet: there is no demo to run")
    folders = [CORE, ROOT / "grants" / "password", ROOT / "grants" / "refresh", DJANGO]
    install_local(session, folders, *example_requirements(), for_tests=False)
    manage = relative(EXAMPLE / "manage.py")
    session.run("python", manage, "migrate", "--no-input")
    session.run("python", manage, "demo_setup")
    session.run("python", manage, "runserver", "127.0.0.1:8000", "--noreload")


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """The hypothesis fuzz tests under the heavy profile: many more examples than the default run."""
    install_local(session, [CORE, TESTING, *grant_folders()], *PARALLEL)
    env = {"HYPOTHESIS_PROFILE": "heavy"}
    for folder in (CORE, TESTING, *grant_folders()):
        if has_tests(folder / "tests"):
            # Exit code 5: this folder has no test marked fuzz, which is fine.
            args = [relative(folder / "tests"), "-m", "fuzz", *PARALLEL_ARGS]
            run_pytest(session, *args, label=f"fuzz-{folder.name}", env=env, success_codes=(0, 5))


@nox.session(default=False)
def soak(session: nox.Session) -> None:
    """Load and soak: the example under gunicorn (2 workers) on PostgreSQL, 180 s; ``-- --duration N`` to change."""
    if not postgres_reachable():
        session.error("the soak test needs PostgreSQL at 127.0.0.1:5432 (trust auth); start it first")
    folders = [CORE, ROOT / "grants" / "password", ROOT / "grants" / "refresh", DJANGO]
    install_local(session, folders, "gunicorn", "psycopg[binary]", "requests", *example_requirements(), for_tests=False)
    session.run("python", relative(ROOT / "soak" / "soak.py"), *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """The side-by-side benchmark against django-oauth-toolkit and django-oauth2; prints the targets.

    ``run.py`` builds one virtualenv per system itself (with uv, installed here).
    Extra arguments go to it, e.g. ``-- --no-scale``; a failed target fails the session.
    """
    session.install("uv")
    session.run("python", relative(BENCHMARKS / "run.py"), "--strict", *session.posargs)


@nox.session
def bench_smoke(session: nox.Session) -> None:
    """A tiny benchmark run that proves the harness works end to end; it judges no timing."""
    session.install("uv", "pytest")
    venvs = str(Path(session.create_tmp()) / "bench-venvs")
    run_pytest(session, relative(BENCHMARKS / "test_bench_smoke.py"), label="smoke", env={"BENCH_VENVS": venvs})
