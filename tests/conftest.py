"""Shared fixtures."""

from __future__ import annotations

import logging
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


@pytest.fixture(autouse=True)
def restore_root_logging() -> Iterator[None]:
    """A function that builds its runtime on backend gcp installs its JSON log handler on the
    process's root logger (trendreel.logs.configure): as on Cloud Run, once per process. Tests
    share one process, so each gets the root logger back as it found it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
