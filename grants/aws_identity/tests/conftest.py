"""Fixtures: loopback servers (a connection counter, a fake STS, moto) and deployments of the grant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aws_support import Deployment, FakeSts, Listener, deploy

from oauth2_grant_aws_identity.testing import LoopbackSts, loopback_sts


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
def moto() -> Iterator[LoopbackSts]:
    """One moto server for the session: IAM users and a role created, then every call signature-checked."""
    with loopback_sts() as account:
        yield account


@pytest.fixture
def make_deployment() -> Callable[..., Deployment]:
    """Build a server with the grant; keyword arguments are grant options (server_id is preset)."""

    def build(**options: Any) -> Deployment:
        return deploy(options)

    return build
