"""Twenty clients race to redeem one refresh token against the served example.

Refresh tokens rotate: each may be redeemed once. On PostgreSQL the store
must make that hold under real concurrency (two gunicorn workers, many
threads, separate connections), so exactly one request wins. SQLite
serialises writers, so at most one wins there. Nobody may see a 5xx.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from e2e_support import Accounts, ExampleServer, assert_oauth_error, assert_token_answer, json_body

RACERS = 20


def test_concurrent_refreshes_of_one_token(server: ExampleServer, accounts: Accounts) -> None:
    client = accounts.confidential
    assert client.secret is not None
    credentials = (client.client_id, client.secret)
    issued = assert_token_answer(
        requests.post(
            server.token_url,
            data={"grant_type": "password", "username": accounts.username, "password": accounts.password},
            auth=credentials,
            timeout=30,
        )
    )
    barrier = threading.Barrier(RACERS, timeout=60)

    def race(_: int) -> requests.Response:
        with requests.Session() as session:
            # Open the connection first, so the barrier releases requests, not TCP handshakes.
            json_body(session.get(server.token_url, timeout=30))
            barrier.wait()
            return session.post(
                server.token_url,
                data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
                auth=credentials,
                timeout=60,
            )

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        responses = list(pool.map(race, range(RACERS)))

    server_errors = [(r.status_code, r.text[:200]) for r in responses if r.status_code >= 500]
    assert not server_errors, server_errors
    winners = [assert_token_answer(r) for r in responses if r.status_code == 200]
    for response in responses:
        if response.status_code != 200:
            assert_oauth_error(response, 400, "invalid_grant")
    if server.database.kind == "postgres":
        assert len(winners) == 1, f"{len(winners)} of {RACERS} concurrent refreshes succeeded"
    else:
        assert len(winners) <= 1, f"{len(winners)} of {RACERS} concurrent refreshes succeeded"

    # The losers presented a token that was already redeemed: that is reuse,
    # so the family is revoked and even the winner's new tokens stop working.
    for winner in winners:
        me = requests.get(server.me_url, headers={"Authorization": f"Bearer {winner['access_token']}"}, timeout=30)
        assert_oauth_error(me, 401, "invalid_token")
