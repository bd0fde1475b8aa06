"""PostgreSQL helpers for the scale part, run with our virtualenv's interpreter.

Subcommands (each prints one JSON object):

- ``createdb --admin URL --name DB`` / ``dropdb --admin URL --name DB``: a
  scratch database on the server (created fresh, dropped at the end).
- ``fill --total N`` (``BENCH_DB`` set): bulk-insert expired access tokens
  with ``INSERT ... SELECT generate_series`` until the table holds N rows,
  then ``ANALYZE``. Every row gets its own SHA-256 digest, like a real one.
- ``count`` (``BENCH_DB`` set): rows in the access-token table, and how many
  of them are expired.
- ``locks --stop-file PATH --cleanup-app NAME``: sample ``pg_locks`` of the
  scratch database every few milliseconds until the stop file appears, and
  summarise what the cleanup held and what anyone waited for.
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def _admin_connection(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
    )


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing database name {name!r}: use letters, digits and underscores")
    return '"' + name + '"'


def createdb(admin: str, name: str) -> dict[str, Any]:
    with _admin_connection(admin) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {_identifier(name)} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {_identifier(name)}")
    return {"created": name}


def dropdb(admin: str, name: str) -> dict[str, Any]:
    with _admin_connection(admin) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {_identifier(name)} WITH (FORCE)")
    return {"dropped": name}


def _django() -> None:
    from bootstrap import setup_django

    setup_django("ours")


_CONSTRAINTS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY conname
"""
_INDEXES = """
SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname
"""


def fill(total: int) -> dict[str, Any]:
    _django()
    from django.db import connection, transaction

    from oauth2_django.models import AccessToken

    meta = AccessToken._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    insert = (
        f"INSERT INTO {table} ({column('digest')}, {column('display')}, {column('client')}, {column('user')},"
        f" {column('scope')}, {column('family_id')}, {column('revoked_at')}, {column('created_at')},"
        f" {column('expires_at')})"
        f" SELECT encode(sha256(convert_to(%s || g::text, 'UTF8')), 'hex'), 'o2at_bulk',"
        f" t.{column('client')}, t.{column('user')}, t.{column('scope')}, md5(%s || g::text), NULL,"
        f" now() - interval '2 days', now() - interval '1 day'"
        f" FROM generate_series(1, %s) AS g,"
        f" (SELECT {column('client')}, {column('user')}, {column('scope')} FROM {table}"
        f" ORDER BY {column('id')} LIMIT 1) AS t"
    )
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        present = cursor.fetchone()[0]
        missing = max(0, total - present)
        if missing:
            # Loading a million rows into five indexes row by row takes minutes; building the indexes
            # afterwards takes seconds. The schema ends exactly as the migrations left it.
            cursor.execute(_CONSTRAINTS, [meta.db_table])
            constraints = cursor.fetchall()
            cursor.execute(_INDEXES, [meta.db_table])
            indexes = cursor.fetchall()
            for name, _ in constraints:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            # Copy client, user and scope from a real row; each new row gets its own digest and family.
            cursor.execute(insert, [secrets.token_hex(8), secrets.token_hex(8), missing])
            for name, definition in constraints:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
            for _, definition in indexes:
                cursor.execute(definition)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    return {"inserted": missing, "total": present + missing, "seconds": time.monotonic() - started}


def count() -> dict[str, Any]:
    _django()
    from django.utils import timezone

    from oauth2_django.models import AccessToken

    return {
        "total": AccessToken.objects.count(),
        "expired": AccessToken.objects.filter(expires_at__lte=timezone.now()).count(),
    }


_LOCKS = """
SELECT a.application_name, l.mode, l.granted, coalesce(l.relation::regclass::text, l.locktype),
       a.wait_event_type, extract(epoch from now() - a.state_change)
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
"""


def locks(database_url: str, stop_file: Path, cleanup_app: str, interval: float, max_seconds: float) -> dict[str, Any]:
    held: dict[str, int] = {}
    waited: dict[str, int] = {}
    samples = samples_with_waiters = max_waiters = 0
    longest_wait = 0.0
    deadline = time.monotonic() + max_seconds
    with _admin_connection(database_url) as connection:
        while not stop_file.exists() and time.monotonic() < deadline:
            rows = connection.execute(_LOCKS).fetchall()
            samples += 1
            waiters = 0
            for app, mode, granted, relation, wait_type, seconds in rows:
                if app == cleanup_app and granted:
                    key = f"{relation}:{mode}"
                    held[key] = held.get(key, 0) + 1
                if not granted:
                    waiters += 1
                    key = f"{app or '?'} on {relation}:{mode}"
                    waited[key] = waited.get(key, 0) + 1
                    if wait_type == "Lock" and seconds is not None:
                        longest_wait = max(longest_wait, float(seconds))
            samples_with_waiters += 1 if waiters else 0
            max_waiters = max(max_waiters, waiters)
            time.sleep(interval)
    # Locks on its own transaction ids are every transaction's; what matters is what it held on tables and indexes.
    on_relations = sorted(
        {key.rsplit(":", 1)[1] for key in held if not key.startswith(("transactionid:", "virtualxid:"))}
    )
    summary = (
        f"{samples} samples; on tables and indexes the cleanup held {', '.join(on_relations) or 'no locks seen'}; "
        f"{samples_with_waiters} samples had a waiting lock (at most {max_waiters} at once, "
        f"longest wait {longest_wait * 1000:.0f} ms)"
    )
    return {
        "samples": samples,
        "cleanup_held": held,
        "waited": waited,
        "samples_with_waiters": samples_with_waiters,
        "max_waiters": max_waiters,
        "longest_wait_ms": longest_wait * 1000,
        "summary": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="ours", choices=["ours"])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("createdb", "dropdb"):
        command = sub.add_parser(name)
        command.add_argument("--admin", required=True)
        command.add_argument("--name", required=True)
    sub.add_parser("fill").add_argument("--total", type=int, required=True)
    sub.add_parser("count")
    lock_parser = sub.add_parser("locks")
    lock_parser.add_argument("--database", required=True, help="URL of the scratch database")
    lock_parser.add_argument("--stop-file", type=Path, required=True)
    lock_parser.add_argument("--cleanup-app", required=True)
    lock_parser.add_argument("--interval", type=float, default=0.02)
    lock_parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    if args.command == "createdb":
        result = createdb(args.admin, args.name)
    elif args.command == "dropdb":
        result = dropdb(args.admin, args.name)
    elif args.command == "fill":
        result = fill(args.total)
    elif args.command == "count":
        result = count()
    else:
        result = locks(args.database, args.stop_file, args.cleanup_app, args.interval, args.max_seconds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
