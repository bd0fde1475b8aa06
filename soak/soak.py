"""Load and soak test: the example project under gunicorn (2 workers) on 127.0.0.1 with PostgreSQL.

It creates a fresh database (``soak`` by default), migrates it, creates
users and a confidential client, starts gunicorn on a free loopback port
and drives it for ``--duration`` seconds with a mix of password grants,
refreshes and bearer requests from client threads, each thread keeping
its own token family. A small share of requests fail on purpose (an
unknown bearer token, a refresh token presented twice); their answers are
checked too. Every password grant uses the right password, so the
password-guessing defence never locks anyone out.

It prints requests per second, answers by kind and status, latencies and
each worker's resident memory (``VmRSS`` from ``/proc``) after a warm-up
and at the end, and exits non-zero on any 5xx, any answer other than the
one intended, a worker restart, an error in the server log, or memory
growth of 10% or more.

    python soak/soak.py --duration 180

Needs: oauth2-core, oauth2-grant-password, oauth2-grant-refresh,
oauth2-django, gunicorn, psycopg and requests (``nox -s soak`` installs them).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example"
SOAK = Path(__file__).resolve().parent

CLIENT_NAME = "soak client"
SCOPES = "read write"
#: What each client thread does, and how often. Password grants cost a full PBKDF2 run on the server.
MIX = (("bearer", 84), ("refresh", 11), ("password", 2), ("unknown_bearer", 2), ("refresh_reuse", 1))
#: The one answer each kind of request must get.
EXPECTED = {"bearer": 200, "refresh": 200, "password": 200, "unknown_bearer": 401, "refresh_reuse": 400}
MAX_GROWTH = 0.10
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
_SERVER_ERRORS = re.compile(r"Traceback|\[ERROR\]|\[CRITICAL\]|WORKER TIMEOUT|Internal Server Error")


# -- the database ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    maintenance_db: str

    def url(self, name: str) -> str:
        return f"postgres://{self.user}@{self.host}:{self.port}/{name}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname=self.maintenance_db, autocommit=True
        )


@contextmanager
def fresh_database(server: Postgres, name: str, keep: bool) -> Iterator[str]:
    """A new, empty database ``name`` (dropped first if it exists); dropped afterwards unless ``keep``."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"--database must be a plain lower-case PostgreSQL name, not {name!r}")
    with server.admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.url(name)
    finally:
        if not keep:
            with server.admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the served example ------------------------------------------------------------------------------


def environment(database_url: str) -> dict[str, str]:
    """The example project with this folder's settings on top: DEBUG off, plain HTTP allowed on loopback."""
    python_path = os.pathsep.join([str(SOAK), str(EXAMPLE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "soak_settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "PYTHONPATH": python_path,
    }


def manage(env: dict[str, str], *arguments: str) -> str:
    completed = subprocess.run(  # noqa: S603 - this interpreter and the example's manage.py, fixed arguments
        [sys.executable, str(EXAMPLE / "manage.py"), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"manage.py {arguments[0]} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


SETUP = """
import json, os, sys
from django.contrib.auth import get_user_model
from oauth2_django.models import Client, Scope

users, scopes, name = int(sys.argv[1]), sys.argv[2].split(), sys.argv[3]
password = os.environ["SOAK_USER_PASSWORD"]
model = get_user_model()
for index in range(users):
    model.objects.create_user(f"soak{index}", password=password)
client = Client.objects.create(name=name, grant_types=["password", "refresh_token"])
client.scopes.set([Scope.objects.get_or_create(name=scope)[0] for scope in scopes])
print(json.dumps({"client_id": client.client_id, "secret": client.add_secret()[1]}))
"""


@dataclass(frozen=True)
class Accounts:
    client_id: str = field(repr=False)
    secret: str = field(repr=False)
    usernames: tuple[str, ...]
    password: str = field(repr=False)


def create_accounts(env: dict[str, str], users: int) -> Accounts:
    password = secrets.token_urlsafe(16)
    runner = "import django; django.setup(); import sys; exec(sys.stdin.read())"
    completed = subprocess.run(  # noqa: S603 - this interpreter and our own setup code
        [sys.executable, "-c", runner, str(users), SCOPES, CLIENT_NAME],
        input=SETUP,
        # Not on the command line, where other local users could read it.
        env={**env, "SOAK_USER_PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"creating the soak accounts failed:\n{completed.stderr}")
    created = json.loads(completed.stdout.strip().splitlines()[-1])
    return Accounts(created["client_id"], created["secret"], tuple(f"soak{i}" for i in range(users)), password)


class Gunicorn:
    """gunicorn serving the example on a free port of 127.0.0.1, logging to a file."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int, threads: int) -> None:
        self.env = env
        self.log_path = log_path
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--chdir",
            str(EXAMPLE),
            "--bind",
            "127.0.0.1:0",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--preload",
            "example_project.wsgi:application",
        ]
        from gunicorn.config import KNOWN_SETTINGS  # type: ignore[import-untyped]

        if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
            self.command.insert(-1, "--no-control-socket")
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - gunicorn with arguments built above
                self.command, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            match = _LISTENING.search(self.log())
            if match:
                self.base_url = f"http://127.0.0.1:{match.group(1)}"
                try:
                    requests.get(self.base_url + "/api/me", timeout=30)
                    return
                except requests.RequestException:
                    pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"gunicorn did not answer within 120 s:\n{self.log()}")

    def workers(self) -> list[int]:
        """The worker processes: children of the gunicorn master."""
        if self.process is None:
            raise RuntimeError("gunicorn is not running")
        master = self.process.pid
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces and parentheses; the parent pid follows the last ")".
            if int(stat.rpartition(")")[2].split()[1]) == master:
                found.append(int(entry.name))
        return sorted(found)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no VmRSS line")


# -- the load ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Answers by (kind, status), latencies by kind, and the unintended answers (first few kept)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: collections.Counter[tuple[str, int]] = field(default_factory=collections.Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    unintended: list[str] = field(default_factory=list)
    unintended_count: int = 0

    def record(self, kind: str, status: int, seconds: float, detail: str) -> None:
        with self.lock:
            self.answers[(kind, status)] += 1
            self.latencies[kind].append(seconds)
            if status != EXPECTED[kind]:
                self.unintended_count += 1
                if len(self.unintended) < 20:
                    self.unintended.append(f"{kind} -> {status}: {detail[:300]}")

    @property
    def total(self) -> int:
        return sum(self.answers.values())


class ClientThread(threading.Thread):
    """One client: its own session and token family, choosing each next request from MIX."""

    def __init__(
        self,
        index: int,
        base_url: str,
        accounts: Accounts,
        tally: Tally,
        deadline: float,
        budget: threading.Semaphore,
        fresh_connections: bool,
    ) -> None:
        super().__init__(name=f"soak-client-{index}", daemon=True)
        self.fresh_connections = fresh_connections
        self.base_url = base_url
        self.accounts = accounts
        self.tally = tally
        self.deadline = deadline
        self.budget = budget
        self.username = accounts.usernames[index % len(accounts.usernames)]
        # Not for secrets: it only picks the next kind of request, reproducibly per thread.
        self.random = random.Random(index)  # noqa: S311
        self.access = ""
        self.refresh = ""
        self.retired = ""
        self.crashed: BaseException | None = None

    def _token(self, kind: str, form: dict[str, str]) -> requests.Response:
        return self._send(
            kind, "POST", "/oauth2/access_token", data=form, auth=(self.accounts.client_id, self.accounts.secret)
        )

    def _send(self, kind: str, method: str, path: str, **options: object) -> requests.Response:
        started = time.perf_counter()
        response = self.session.request(method, self.base_url + path, timeout=60, **options)  # type: ignore[arg-type]
        self.tally.record(kind, response.status_code, time.perf_counter() - started, response.text)
        return response

    def _adopt(self, response: requests.Response) -> None:
        if response.status_code == 200:
            body = response.json()
            self.access, self.refresh = body["access_token"], body["refresh_token"]

    def sign_in(self) -> None:
        form = {"grant_type": "password", "username": self.username, "password": self.accounts.password}
        self._adopt(self._token("password", form))

    def step(self, kind: str) -> None:
        if kind == "bearer":
            self._send(kind, "GET", "/api/me", headers={"Authorization": f"Bearer {self.access}"})
        elif kind == "unknown_bearer":
            self._send(kind, "GET", "/api/me", headers={"Authorization": f"Bearer o2at_{secrets.token_urlsafe(32)}"})
        elif kind == "refresh":
            previous = self.refresh
            self._adopt(self._token(kind, {"grant_type": "refresh_token", "refresh_token": self.refresh}))
            self.retired = previous
        elif kind == "refresh_reuse":
            if not self.retired:
                return
            # Presenting a rotated-out token again revokes this thread's family: sign in anew afterwards.
            self._token(kind, {"grant_type": "refresh_token", "refresh_token": self.retired})
            self.retired = ""
            self.sign_in()
        else:
            self.sign_in()

    def run(self) -> None:
        kinds = [kind for kind, _ in MIX]
        weights = [weight for _, weight in MIX]
        try:
            with requests.Session() as self.session:
                if self.fresh_connections:
                    self.session.headers["Connection"] = "close"
                self.sign_in()
                while time.monotonic() < self.deadline and self.budget.acquire(blocking=False):
                    self.step(self.random.choices(kinds, weights)[0])
        except BaseException as exc:
            # Reported as a failure of the run by drive(), never swallowed.
            self.crashed = exc


def drive(
    base_url: str,
    accounts: Accounts,
    clients: int,
    seconds: float,
    max_requests: int,
    *,
    fresh_connections: bool = False,
) -> tuple[Tally, float]:
    """Run ``clients`` threads for ``seconds``; ``fresh_connections`` opens a new connection per request."""
    tally = Tally()
    budget = threading.Semaphore(max_requests)
    started = time.monotonic()
    threads = [
        ClientThread(i, base_url, accounts, tally, started + seconds, budget, fresh_connections) for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for thread in threads:
        if thread.crashed is not None:
            tally.unintended_count += 1
            tally.unintended.append(f"{thread.name} stopped: {type(thread.crashed).__name__}: {thread.crashed}")
    return tally, elapsed


# -- the report ----------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(
    tally: Tally, elapsed: float, memory: dict[int, tuple[int, int]], restarted: bool, server_errors: list[str]
) -> int:
    print(f"\n== soak: {tally.total} requests in {elapsed:.1f} s = {tally.total / elapsed:.1f} requests/s")
    print("\nanswers (kind, status, count, intended):")
    for (kind, status), count in sorted(tally.answers.items()):
        print(f"  {kind:<15} {status}  {count:>7}  {'yes' if status == EXPECTED[kind] else 'NO'}")
    print("\nlatency (ms)      p50      p95      max")
    for kind, values in sorted(tally.latencies.items()):
        p50, p95 = statistics.median(values) * 1000, percentile(values, 0.95) * 1000
        print(f"  {kind:<15} {p50:7.1f}  {p95:7.1f}  {max(values) * 1000:7.1f}")
    by_status: collections.Counter[int] = collections.Counter()
    for (_, status), count in tally.answers.items():
        by_status[status] += count
    print("\nanswers by status: " + ", ".join(f"{status}: {count}" for status, count in sorted(by_status.items())))
    server_5xx = sum(count for status, count in by_status.items() if status >= 500)
    print("\nworker memory (VmRSS, KiB)   start      end   growth")
    worst = 0.0
    for pid, (start, end) in sorted(memory.items()):
        growth = (end - start) / start
        worst = max(worst, growth)
        print(f"  worker {pid:<8}         {start:>8} {end:>8}  {growth:+7.2%}")
    failures = []
    if server_5xx:
        failures.append(f"{server_5xx} answers with a 5xx status")
    if tally.unintended_count:
        failures.append(f"{tally.unintended_count} unintended answers: " + "; ".join(tally.unintended))
    if worst >= MAX_GROWTH:
        failures.append(f"a worker's memory grew {worst:.1%} (limit {MAX_GROWTH:.0%})")
    if restarted:
        failures.append("gunicorn workers were restarted during the run")
    if server_errors:
        failures.append("the server log has errors: " + " | ".join(server_errors[:5]))
    if tally.total == 0:
        failures.append("no request was made")
    print()
    for failure in failures:
        print(f"FAIL: {failure}")
    print("soak: FAILED" if failures else "soak: OK (no 5xx, no unintended answer, memory growth under 10%)")
    return 1 if failures else 0


# -- main ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of measured load (default 180)")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of load before memory is first read")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="stop after this many requests")
    parser.add_argument("--users", type=int, default=8, help="users to create (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default=os.environ.get("PGUSER", "postgres"))
    parser.add_argument("--maintenance-db", default="postgres", help="database to connect to for CREATE DATABASE")
    parser.add_argument("--database", default="soak", help="name of the fresh database (dropped and created)")
    parser.add_argument("--keep-database", action="store_true", help="leave the database for inspection")
    args = parser.parse_args(argv)
    if args.pg_host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the soak test runs against a local PostgreSQL only (127.0.0.1)")

    server = Postgres(args.pg_host, args.pg_port, args.pg_user, args.maintenance_db)
    with fresh_database(server, args.database, args.keep_database) as url, tempfile.TemporaryDirectory() as tmp:
        env = environment(url)
        print(f"soak: migrating database {args.database!r} at {args.pg_host}:{args.pg_port}", flush=True)
        manage(env, "migrate", "--no-input")
        accounts = create_accounts(env, args.users)
        gunicorn = Gunicorn(env, Path(tmp) / "gunicorn.log", args.workers, args.threads)
        gunicorn.start()
        try:
            print(f"soak: serving at {gunicorn.base_url}; warming up for {args.warmup:.0f} s", flush=True)
            # A kept-alive connection stays with the worker that accepted it, so a warm-up over kept-alive
            # connections can leave one worker nearly idle and its memory still growing into its working
            # set when the start is read. New connections per request spread the warm-up over every worker.
            drive(gunicorn.base_url, accounts, args.clients, args.warmup, args.max_requests, fresh_connections=True)
            workers = gunicorn.workers()
            start = {pid: rss_kib(pid) for pid in workers}
            print(f"soak: workers {workers}; driving {args.clients} clients for {args.duration:.0f} s", flush=True)
            tally, elapsed = drive(gunicorn.base_url, accounts, args.clients, args.duration, args.max_requests)
            after = gunicorn.workers()
            restarted = after != workers
            memory = {pid: (start[pid], rss_kib(pid)) for pid in workers if pid in after}
        finally:
            gunicorn.stop()
        errors = [line for line in gunicorn.log().splitlines() if _SERVER_ERRORS.search(line)]
    return report(tally, elapsed, memory, restarted, errors)


if __name__ == "__main__":
    sys.exit(main())
