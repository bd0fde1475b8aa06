"""Fixtures: loopback servers (a connection counter, a fake STS, moto) and deployments of the grant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aws_support import Deployment, FakeSts, Listener, MotoAccount, deploy, moto_server


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A socket on 127.0.0.1 that counts connections; refused requests must leave it at 0."""
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def fake_sts() -> Iterator[FakeSts]:
    server = FakeSts()
    yield server
    server.close()


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoAccount]:
    """One moto server for the session: IAM users and a role created, then every call signature-checked."""
    with moto_server() as account:
        yield account


@pytest.fixture
def make_deployment() -> Callable[..., Deployment]:
    """Build a server with the grant; keyword arguments are grant options (server_id is preset)."""

    def build(**options: Any) -> Deployment:
        return deploy(options)

    return build
