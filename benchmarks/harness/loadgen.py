"""A small asyncio HTTP/1.1 load generator for loopback servers, bounded in time and in request count.

Used for the memory soak (an exact number of mixed requests) and in place of
wrk when wrk is missing. It keeps connections alive when the server allows
and reconnects when the server closes them (gunicorn's sync workers do after
every response). It refuses any host but the loopback address.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

LOOPBACK = "127.0.0.1"
REFRESH_PLACEHOLDER = "{refresh_token}"


class Source(Protocol):
    """Hands out requests and sees their answers (a refresh chain needs the answers)."""

    def next_request(self) -> tuple[str, bytes] | None: ...

    def observe(self, scenario: str, status: int, body: bytes) -> None: ...


@dataclass
class LoadResult:
    requests: int = 0
    ok: int = 0
    bad: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    unexpected: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)

        def pick(q: float) -> float | None:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None

        return {
            "requests": self.requests,
            "ok": self.ok,
            "bad": self.bad,
            "errors": self.errors,
            "seconds": self.seconds,
            "rps": self.ok / self.seconds if self.seconds else 0.0,
            "p50_ms": pick(0.5),
            "p99_ms": pick(0.99),
            "max_ms": ordered[-1] if ordered else None,
            "unexpected": self.unexpected,
        }


def render(spec: dict[str, Any], port: int, refresh_token: str | None = None) -> bytes:
    """The raw request for a spec (see ``worker/scenarios.py``), with a refresh token filled in if it takes one."""
    body: str = spec["body"]
    if REFRESH_PLACEHOLDER in body:
        if refresh_token is None:
            raise ValueError("this request needs a refresh token")
        body = body.replace(REFRESH_PLACEHOLDER, quote(refresh_token, safe=""))
    encoded = body.encode()
    lines = [f"{spec['method']} {spec['path']} HTTP/1.1", f"Host: {LOOPBACK}:{port}"]
    lines += [f"{name}: {value}" for name, value in spec["headers"].items()]
    if encoded or spec["method"] == "POST":
        lines.append(f"Content-Length: {len(encoded)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + encoded


def refresh_token_in(body: bytes) -> str | None:
    marker = b'"refresh_token": "'
    start = body.find(marker)
    if start < 0:
        marker = b'"refresh_token":"'
        start = body.find(marker)
        if start < 0:
            return None
    start += len(marker)
    end = body.find(b'"', start)
    return body[start:end].decode() if end > start else None


class ScenarioSource:
    """One scenario repeated; for ``refresh``, each answer's new refresh token feeds a later request."""

    def __init__(self, spec: dict[str, Any], port: int, seeds: Iterable[str] = ()) -> None:
        self.spec = spec
        self.port = port
        self.chain = REFRESH_PLACEHOLDER in spec["body"]
        self.pool = list(seeds)
        self.fixed = None if self.chain else render(spec, port)

    def next_request(self) -> tuple[str, bytes] | None:
        if self.fixed is not None:
            return self.spec["name"], self.fixed
        if not self.pool:
            return None
        return self.spec["name"], render(self.spec, self.port, self.pool.pop())

    def observe(self, scenario: str, status: int, body: bytes) -> None:
        if self.chain and status == 200:
            token = refresh_token_in(body)
            if token:
                self.pool.append(token)


class MixedSource:
    """A fixed cycle of scenarios; refresh requests use tokens that earlier answers handed out."""

    #: Mostly resource requests, as a resource server sees them; one grant in ten.
    CYCLE = (
        "bearer_valid",
        "bare",
        "bearer_valid",
        "bearer_invalid",
        "bearer_valid",
        "refresh",
        "bearer_valid",
        "bare",
        "bearer_valid",
        "bearer_valid",
        "bearer_valid",
        "bare",
        "bearer_valid",
        "bearer_invalid",
        "bearer_valid",
        "password",
        "bearer_valid",
        "bare",
        "bearer_valid",
        "bearer_valid",
    )

    def __init__(self, specs: dict[str, dict[str, Any]], port: int, seeds: Iterable[str] = ()) -> None:
        self.specs = specs
        self.port = port
        self.pool = list(seeds)
        self.fixed = {name: render(spec, port) for name, spec in specs.items() if name != "refresh"}
        self.position = 0

    def next_request(self) -> tuple[str, bytes] | None:
        scenario = self.CYCLE[self.position % len(self.CYCLE)]
        self.position += 1
        if scenario == "refresh":
            if self.pool:
                return scenario, render(self.specs["refresh"], self.port, self.pool.pop())
            scenario = "password"  # no token to spend yet: a password grant will hand one out
        return scenario, self.fixed[scenario]

    def observe(self, scenario: str, status: int, body: bytes) -> None:
        if scenario in ("password", "refresh") and status == 200:
            token = refresh_token_in(body)
            if token:
                self.pool.append(token)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    close = headers.get("connection", "").lower() == "close"
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readline()).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        body = b"".join(chunks)
    else:
        body = await reader.read()
        close = True
    return status, body, close


async def _connection(
    port: int, source: Source, expected: dict[str, int], result: LoadResult, deadline: float, limit: int
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while time.monotonic() < deadline and result.requests < limit:
            item = source.next_request()
            if item is None:
                return
            scenario, payload = item
            result.requests += 1
            if reader is None or writer is None:
                reader, writer = await asyncio.open_connection(LOOPBACK, port)
            started = time.perf_counter()
            try:
                writer.write(payload)
                await writer.drain()
                status, body, close = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                result.errors += 1
                writer.close()
                reader = writer = None
                continue
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            source.observe(scenario, status, body)
            if status == expected[scenario]:
                result.ok += 1
            else:
                result.bad += 1
                key = f"{scenario}:{status}"
                result.unexpected[key] = result.unexpected.get(key, 0) + 1
            if close:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def _run(
    port: int, source: Source, expected: dict[str, int], concurrency: int, seconds: float, limit: int
) -> LoadResult:
    result = LoadResult()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(_connection(port, source, expected, result, deadline, limit) for _ in range(concurrency)))
    result.seconds = time.monotonic() - started
    return result


def run_load(
    port: int,
    source: Source,
    expected: dict[str, int],
    *,
    concurrency: int,
    seconds: float,
    limit: int = 10_000_000,
) -> LoadResult:
    """Send requests from ``source`` to 127.0.0.1:``port`` until ``seconds`` pass or ``limit`` were sent."""
    if not 0 < seconds <= 600:
        raise ValueError("a load run is bounded: seconds must be in (0, 600]")
    return asyncio.run(_run(port, source, expected, concurrency, seconds, limit))
