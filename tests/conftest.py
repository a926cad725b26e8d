"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.http_fixture import FixtureServer


@pytest.fixture
def http_fixture() -> Iterator[FixtureServer]:
    """A scripted HTTP server on 127.0.0.1, stopped after the test."""
    server = FixtureServer().start()
    try:
        yield server
    finally:
        server.stop()
