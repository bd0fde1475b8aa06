"""Test support: the grant's host hooks over memory, loopback servers and request signers.

Everything here is real: sockets on 127.0.0.1 and signatures made by awsv4sign
and by botocore. The moto server that verifies them is the package's own
``oauth2_grant_aws_identity.testing``, which hosts' tests use too.
"""

from __future__ import annotations

import contextlib
import fnmatch
import http.server
import json
import socket
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import awsv4sign
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from oauth2_core import Client, Server, ServerConfig, TokenResponse, build_server, hookimpl
from oauth2_grant_aws_identity import POST_BODY, AwsBinding, AwsIdentity
from oauth2_testing.client import TokenClient
from oauth2_testing.clock import FakeClock
from oauth2_testing.memory import MemoryHost, MemoryTokenStore

REGION = "us-east-1"
SERVER_ID = "https://auth.example.test"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


# -- the grant's host hooks -----------------------------------------------------------


@dataclass
class BindingRule:
    """Subject pattern (exact or glob) -> client, user, scopes and lifetime."""

    subject: str
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    max_lifetime: int | None = None


class AwsMemoryHost:
    """The aws_identity host hooks over dicts, with a lock so check-and-record is atomic under threads."""

    def __init__(self, host: MemoryHost, clock: Callable[[], datetime]) -> None:
        self.host = host
        self.clock = clock
        self.rules: list[BindingRule] = []
        self.seen: dict[str, datetime] = {}
        self.nonces: dict[str, datetime] = {}
        self.bind_calls: list[AwsIdentity] = []
        self.remember_calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def bind_subject(
        self,
        subject: str,
        client_id: str,
        *,
        user_id: str | None = None,
        scopes: tuple[str, ...] = ("read",),
        max_lifetime: int | None = None,
    ) -> None:
        self.rules.append(BindingRule(subject, client_id, user_id, frozenset(scopes), max_lifetime))

    def _expired(self, table: dict[str, datetime]) -> None:
        now = self.clock()
        for key in [key for key, expires in table.items() if expires <= now]:
            del table[key]

    @hookimpl(optionalhook=True)
    def oauth2_aws_identity_remember(self, key: str, ttl: int) -> bool:
        with self._lock:
            self.remember_calls.append((key, ttl))
            self._expired(self.seen)
            if key in self.seen:
                return False
            self.seen[key] = self.clock() + timedelta(seconds=ttl)
            return True

    @hookimpl(optionalhook=True)
    def oauth2_aws_identity_bind(self, identity: AwsIdentity) -> AwsBinding | None:
        self.bind_calls.append(identity)
        for rule in self.rules:
            if fnmatch.fnmatchcase(identity.subject, rule.subject):
                client: Client = self.host.clients[rule.client_id]
                return AwsBinding(client, rule.user_id, rule.scopes, rule.max_lifetime)
        return None

    @hookimpl(optionalhook=True)
    def oauth2_aws_identity_store_nonce(self, nonce: str, ttl: int) -> None:
        with self._lock:
            self.nonces[nonce] = self.clock() + timedelta(seconds=ttl)

    @hookimpl(optionalhook=True)
    def oauth2_aws_identity_consume_nonce(self, nonce: str) -> bool:
        with self._lock:
            self._expired(self.nonces)
            return self.nonces.pop(nonce, None) is not None


@dataclass
class Deployment:
    """A server over the memory host and store, with the aws_identity host hooks and a fake clock."""

    server: Server
    host: MemoryHost
    store: MemoryTokenStore
    aws: AwsMemoryHost
    clock: FakeClock

    def post(self, form: dict[str, str], **kwargs: Any) -> TokenResponse:
        return TokenClient(self.server).post(form, **kwargs)


def deploy(options: dict[str, Any], *, access_token_lifetime: int = 3600, start: datetime | None = None) -> Deployment:
    """Build a server with the aws_identity grant from its installed entry point; the clock starts now."""
    host, store = MemoryHost(), MemoryTokenStore()
    clock = FakeClock(start or datetime.now(UTC))
    aws = AwsMemoryHost(host, clock)
    config = ServerConfig.from_mapping(
        {
            "grants": ("aws_identity",),
            "access_token_lifetime": access_token_lifetime,
            "grant_options": {"aws_identity": {"server_id": SERVER_ID, **options}},
        }
    )
    server = build_server(config, [host, store, aws], clock=clock)
    host.add_client("workload", confidential=False, grant_types=("aws_identity",), scopes=("read", "write", "admin"))
    return Deployment(server, host, store, aws, clock)


# -- loopback servers ---------------------------------------------------------------


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts and closes them at once.

    Configured as ``sts_endpoint``, it proves that a refused request never
    left the server: ``connections`` stays 0.
    """

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port: int = self._socket.getsockname()[1]
        self.connections = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        self._socket.settimeout(0.05)
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._socket.close()


@dataclass
class Canned:
    """One answer of the fake STS."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: False: no Content-Length, the body ends when the connection closes (HTTP/1.0).
    send_length: bool = True


class FakeSts:
    """A real HTTP server on loopback that answers with canned responses and records what it received."""

    def __init__(self) -> None:
        self.answer = Canned()
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                fake.received.append((self.path, dict(self.headers.items()), self.rfile.read(length)))
                answer = fake.answer
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.send_length and "Content-Length" not in answer.headers:
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                # The grant may hang up early on purpose (size cap, timeout).
                with contextlib.suppress(OSError):
                    self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def caller_identity_xml(arn: str, account: str = "123456789012", user_id: str = "AIDAEXAMPLEEXAMPLE01") -> bytes:
    return (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<GetCallerIdentityResult><Arn>{arn}</Arn><UserId>{user_id}</UserId><Account>{account}</Account>"
        "</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    ).encode()


# -- signing ---------------------------------------------------------------------------


def form_for(region: str, headers: dict[str, str], post_body: str = POST_BODY, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "aws_identity",
        "region": region,
        "post_body": post_body,
        "headers_json": json.dumps(headers),
        **extra,
    }


def sign_awsv4(
    credentials: Credentials,
    host: str,
    *,
    region: str = REGION,
    server_id: str | None = SERVER_ID,
    extra: dict[str, str] | None = None,
    body: str = POST_BODY,
) -> dict[str, str]:
    """Headers signed with awsv4sign (no Host entry: the HTTP client adds it)."""
    signed = {"Content-Type": FORM_TYPE}
    if server_id is not None:
        signed["X-OAuth2-Server-ID"] = server_id
    if credentials.token:
        signed["X-Amz-Security-Token"] = credentials.token
    signed.update(extra or {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        headers: dict[str, str] = awsv4sign.generate_http11_header(
            service="sts",
            region=region,
            access_key=credentials.access_key,
            secret_key=credentials.secret_key,
            url=f"https://{host}/",
            httpMethod="POST",
            canonicalHeaders=signed,
            otherHeaders={},
            payload=body,
        )
    return headers


def sign_botocore(
    credentials: Credentials,
    host: str,
    *,
    region: str = REGION,
    server_id: str | None = SERVER_ID,
    extra: dict[str, str] | None = None,
    body: str = POST_BODY,
) -> dict[str, str]:
    """Headers signed with botocore's SigV4Auth, as AWS SDKs sign them."""
    headers = {"Content-Type": FORM_TYPE, **(extra or {})}
    if server_id is not None:
        headers["X-OAuth2-Server-ID"] = server_id
    request = AWSRequest(method="POST", url=f"http://{host}/", data=body, headers=headers)
    SigV4Auth(credentials, "sts", region).add_auth(request)
    return dict(request.headers.items())


def fake_credentials() -> Credentials:
    """Well-formed credentials that no verifier knows: for requests that must never be sent."""
    return Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def stored_tokens(deployment: Deployment) -> int:
    return len(deployment.store.access) + len(deployment.store.refresh)


def error_of(response: TokenResponse) -> str:
    body = response.json()
    assert response.status in (400, 401, 404, 405, 413, 503), response.status
    assert ("Content-Type", "application/json") in response.headers
    return str(body["error"])
