"""Fixtures for the core's tests; the pieces they are made of live in ``core_support``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from core_support import World, build_world


@pytest.fixture
def make_world() -> Callable[..., World]:
    """Build a world with the echo grants (or ``grants=``) and ``ServerConfig`` fields as keywords."""
    return build_world


@pytest.fixture
def world() -> World:
    return build_world(default_scope="read")
