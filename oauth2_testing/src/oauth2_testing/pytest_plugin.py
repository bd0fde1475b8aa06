"""The pytest plugin of oauth2-testing, loaded through the ``pytest11`` entry point.

It registers the ``fuzz`` marker and the ``heavy`` hypothesis profile, loads
the profile named in ``HYPOTHESIS_PROFILE`` when ``--hypothesis-profile`` is
not given, and provides fixtures. No fixture is autouse: a test gets only what it asks for.

Fixtures: ``oauth2_clock``, ``oauth2_memory_host``, ``oauth2_memory_store``,
``oauth2_server_factory``, ``oauth2_server`` and ``oauth2_token_client``.
"""

from __future__ import annotations

import os

import pytest

from oauth2_core import Server
from oauth2_testing.client import TokenClient
from oauth2_testing.clock import FakeClock
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.servers import MemoryServerFactory


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Imported here, not at module level: hypothesis's own plugin wants to be
    # the first to import hypothesis. tryfirst: register "heavy" before that
    # plugin loads the profile named by --hypothesis-profile.
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument

    from oauth2_testing.profiles import FUZZ_MARKER, PROFILE_ENVIRONMENT_VARIABLE, register_profiles

    config.addinivalue_line(
        "markers", f"{FUZZ_MARKER}: hypothesis fuzzing; {PROFILE_ENVIRONMENT_VARIABLE}=heavy runs many more examples"
    )
    register_profiles()
    name = os.environ.get(PROFILE_ENVIRONMENT_VARIABLE)
    if not name or config.getoption("hypothesis_profile", default=None):
        return
    try:
        settings.load_profile(name)
    except InvalidArgument as exc:
        raise pytest.UsageError(
            f"{PROFILE_ENVIRONMENT_VARIABLE}={name!r} names no registered hypothesis profile; "
            "use 'default' or 'heavy', or register yours in conftest.py"
        ) from exc


@pytest.fixture
def oauth2_clock() -> FakeClock:
    """A clock that stands still until the test calls ``advance(seconds)``."""
    return FakeClock()


@pytest.fixture
def oauth2_memory_host() -> MemoryHost:
    """An empty in-memory host: add clients with ``add_client`` and users with ``add_user``."""
    return MemoryHost()


@pytest.fixture
def oauth2_memory_store() -> MemoryTokenStore:
    """An empty in-memory token store."""
    return MemoryTokenStore()


@pytest.fixture
def oauth2_server_factory(
    oauth2_memory_host: MemoryHost, oauth2_memory_store: MemoryTokenStore, oauth2_clock: FakeClock
) -> MemoryServerFactory:
    """Call it with entry-point names (and ServerConfig fields) to build a server over the memory host and store."""
    return MemoryServerFactory(oauth2_memory_host, oauth2_memory_store, oauth2_clock)


@pytest.fixture
def oauth2_server(oauth2_server_factory: MemoryServerFactory) -> Server:
    """A server with every installed grant enabled; override this fixture to choose grants or settings."""
    return oauth2_server_factory()


@pytest.fixture
def oauth2_token_client(oauth2_server: Server) -> TokenClient:
    """A :class:`~oauth2_testing.client.TokenClient` posting to ``oauth2_server``."""
    return TokenClient(oauth2_server)
