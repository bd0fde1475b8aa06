"""``manage.py check --deploy`` on the example's production-like settings reports exactly what the docs say.

docs/django.md lists every check id it still reports, with the reason; a new
warning (a Django upgrade, a changed setting, a new oauth2 check) fails here
until someone decides about it and documents the decision.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from e2e_support import MANAGE_PY, REPO_ROOT

DOCS = REPO_ROOT / "docs" / "django.md"
CHECK_ID = re.compile(r"\b([a-z][a-z0-9_]*\.[CEWI]\d{3})\b")
SECTION = re.compile(r"<!-- check-deploy-report -->(.*?)<!-- /check-deploy-report -->", re.DOTALL)


def _check_deploy(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings_prod",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": "api.example.com",
        **environment,
    }
    return subprocess.run(
        [sys.executable, str(MANAGE_PY), "check", "--deploy"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_exactly_the_documented_ids(tmp_path: Path) -> None:
    completed = _check_deploy(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    reported = set(CHECK_ID.findall(output))
    section = SECTION.search(DOCS.read_text())
    assert section, f"{DOCS} has no <!-- check-deploy-report --> section"
    documented = set(CHECK_ID.findall(section.group(1)))
    assert reported == documented, (
        f"check --deploy reported {sorted(reported)}; documented {sorted(documented)}\n{output}"
    )


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path: Path) -> None:
    completed = _check_deploy(tmp_path, DJANGO_SECRET_KEY="")
    assert completed.returncode != 0
    assert "DJANGO_SECRET_KEY" in completed.stderr
