"""The five measured operations as plain request specs, shared by the in-process worker and the HTTP load.

A spec is JSON-friendly (method, path, headers, form body, expected status),
so the driver can hand the very same requests to wrk or its own load
generator. Refresh requests carry a placeholder that each use replaces with
an unused refresh token.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from benchcommon.fixture import PASSWORD, SCOPE, USERNAME

SCENARIOS = ("bare", "bearer_valid", "bearer_invalid", "password", "refresh")
REFRESH_PLACEHOLDER = "{refresh_token}"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class RequestSpec:
    name: str
    method: str
    path: str
    expected_status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


def build_specs(state: dict[str, Any], token_path: str, invalid_status: int) -> dict[str, RequestSpec]:
    """The requests for one system, from the state its setup step saved."""
    client_auth = basic_auth(state["client_id"], state["client_secret"])
    token_headers = {"Authorization": client_auth, "Content-Type": FORM}
    password_body = urlencode({"grant_type": "password", "username": USERNAME, "password": PASSWORD, "scope": SCOPE})
    refresh_body = "grant_type=refresh_token&refresh_token=" + REFRESH_PLACEHOLDER
    specs = [
        RequestSpec("bare", "GET", "/api/bare", 200),
        RequestSpec("bearer_valid", "GET", "/api/protected", 200, {"Authorization": "Bearer " + state["access_token"]}),
        RequestSpec(
            "bearer_invalid",
            "GET",
            "/api/protected",
            invalid_status,
            {"Authorization": "Bearer " + state["invalid_token"]},
        ),
        RequestSpec("password", "POST", token_path, 200, token_headers, password_body),
        RequestSpec("refresh", "POST", token_path, 200, token_headers, refresh_body),
    ]
    return {spec.name: spec for spec in specs}
