"""Set up one system's database: schema, the user, the confidential client and the tokens to measure with.

Run by the driver with the system's own interpreter::

    BENCH_DB=... BENCH_HASHER=default python setup_system.py --system ours --refresh 40 --out state.json

The access token comes from the system's own token endpoint (a password
grant), so it is exactly what a client would hold; the batch of refresh
tokens comes from the system's own issuing code, so each refresh
measurement can use one that was never used. The state file holds these
fixture values for the worker; it lives in the git-ignored results folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bootstrap import setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", required=True)
    parser.add_argument("--refresh", type=int, default=0, help="fresh refresh tokens to prepare")
    parser.add_argument("--out", type=Path, required=True, help="where to write the state JSON")
    args = parser.parse_args()

    adapter = setup_django(args.system)
    from benchcommon.fixture import PASSWORD, USERNAME
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from scenarios import build_specs

    call_command("migrate", verbosity=0, interactive=False)
    user = get_user_model().objects.create_user(USERNAME, password=PASSWORD)
    client_id, client_secret = adapter.create_client(user)
    state = {
        "system": args.system,
        "client_id": client_id,
        "client_secret": client_secret,
        "access_token": "",
        "invalid_token": adapter.invalid_token(),
    }
    spec = build_specs(state, adapter.TOKEN_PATH, adapter.INVALID_TOKEN_STATUS)["password"]
    response = Client().generic(
        spec.method,
        spec.path,
        spec.body,
        content_type=spec.headers["Content-Type"],
        HTTP_AUTHORIZATION=spec.headers["Authorization"],
    )
    if response.status_code != 200:
        raise SystemExit(
            f"{adapter.NAME}: the password grant answered {response.status_code} during setup: "
            f"{response.content[:300]!r}; check the project settings and the client set-up"
        )
    state["access_token"] = response.json()["access_token"]
    state["refresh_tokens"] = adapter.prepare_refresh_tokens(user, args.refresh)
    args.out.write_text(json.dumps(state))
    print(json.dumps({"ok": True, "tokens": adapter.token_count()}), file=sys.stdout)


if __name__ == "__main__":
    main()
