#!/usr/bin/env python3
"""Developer entry point: ``python3 dev.py test`` and ``python3 dev.py demo``.

Standard library only, so it runs on a fresh machine that has nothing but
Python 3.11+ and pip. It keeps its own virtualenv in ``.dev/venv`` with nox
(and uv, which nox uses to build each session's virtualenv), then hands over
to nox:

    python3 dev.py test [nox arguments]   every default session: the whole test suite
    python3 dev.py demo                   the example project on http://127.0.0.1:8000

Nox arguments pass straight through, e.g. ``python3 dev.py test -s core``
or ``python3 dev.py test -r`` to reuse the session virtualenvs of the last run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import venv
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DEV_DIR = ROOT / ".dev"
VENV = DEV_DIR / "venv"
REPORTS = DEV_DIR / "reports"
#: What the tooling virtualenv holds; changing it rebuilds the virtualenv on the next run.
REQUIREMENTS = ("nox[uv]>=2025.2.9",)
STAMP = VENV / "oauth2-dev.json"
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")


def say(message: str) -> None:
    print(f"dev.py: {message}", flush=True)


def venv_python() -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")


def wanted_stamp() -> dict[str, object]:
    return {"python": sys.version, "executable": sys.executable, "requirements": list(REQUIREMENTS)}


def tooling_is_current() -> bool:
    """The tooling venv exists, was made by this Python for these requirements, and nox imports."""
    try:
        recorded = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return False
    if recorded != wanted_stamp():
        return False
    probe = subprocess.run([str(venv_python()), "-c", "import nox"], capture_output=True, check=False)
    return probe.returncode == 0


def create_tooling_venv() -> None:
    """A fresh .dev/venv with nox and uv in it."""
    say(f"creating {VENV.relative_to(ROOT)} with {', '.join(REQUIREMENTS)} (first run only)")
    shutil.rmtree(VENV, ignore_errors=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        install = [str(venv_python()), "-m", "pip", "install", "--quiet"]
    except (subprocess.CalledProcessError, OSError):
        # Some distributions ship Python without ensurepip; let the outer pip install into the new venv.
        say("this Python has no ensurepip; installing with the outer pip instead")
        venv.EnvBuilder(with_pip=False, clear=True).create(VENV)
        install = [sys.executable, "-m", "pip", "--python", str(venv_python()), "install", "--quiet"]
    subprocess.run([*install, *REQUIREMENTS], check=True)
    STAMP.write_text(json.dumps(wanted_stamp()))


def pyenv_environment(environ: dict[str, str]) -> dict[str, str]:
    """With pyenv, expose every installed 3.11-3.13 at once so nox finds python3.12, python3.13..."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return environ
    listed = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True, check=False).stdout
    pattern = re.compile(r"(?:{})(?:\.\d+)?".format("|".join(re.escape(v) for v in SUPPORTED_PYTHONS)))
    installed = [line.strip() for line in listed.splitlines() if pattern.fullmatch(line.strip())]
    if not installed:
        return environ
    current = [version for version in environ.get("PYENV_VERSION", "").split(":") if version]
    versions = current + sorted((v for v in installed if v not in current), key=version_key)
    return {**environ, "PYENV_VERSION": ":".join(versions)}


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def read_reports() -> dict[str, int]:
    """Totals over the JUnit reports the nox sessions wrote during this run."""
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for report in sorted(REPORTS.glob("*.xml")):
        root = ElementTree.parse(report).getroot()  # noqa: S314 -- our own pytest's output, not untrusted input
        for suite in root.iter("testsuite"):
            tests = int(suite.get("tests", 0))
            failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped = int(suite.get("skipped", 0))
            totals["passed"] += tests - failed - skipped
            totals["failed"] += failed
            totals["skipped"] += skipped
    return totals


def run_nox(nox_args: list[str]) -> int:
    if not tooling_is_current():
        create_tooling_venv()
    shutil.rmtree(REPORTS, ignore_errors=True)
    REPORTS.mkdir(parents=True)
    env = pyenv_environment(dict(os.environ))
    env["OAUTH2_JUNIT_DIR"] = str(REPORTS)
    # Nox finds uv next to its own interpreter; putting the venv first also lets sessions call `uv`.
    env["PATH"] = os.pathsep.join([str(venv_python().parent), env.get("PATH", "")])
    command = [str(venv_python()), "-m", "nox", "--noxfile", str(ROOT / "noxfile.py"), *nox_args]
    try:
        return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 130


def test(nox_args: list[str]) -> int:
    started = time.monotonic()
    code = run_nox(nox_args)
    totals = read_reports()
    minutes, seconds = divmod(int(time.monotonic() - started), 60)
    outcome = "passed" if code == 0 else f"FAILED (nox exit code {code})"
    say(f"test suite {outcome} in {minutes}m{seconds:02d}s; JUnit reports in {REPORTS.relative_to(ROOT)}/")
    counts = f"{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped"
    (REPORTS / "summary.txt").write_text(counts)
    # A bare closing line that CI log readers understand.
    print(f"summary: {counts}", flush=True)
    return code


def demo(nox_args: list[str]) -> int:
    return run_nox(["--sessions", "demo", *nox_args])


COMMANDS = {"test": test, "demo": demo}


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 -- dev.py may be started by an older python3
        print("dev.py needs Python 3.11 or newer; run it as python3.11 dev.py ...", file=sys.stderr)
        return 2
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
