"""Adapters the contract suites run against.

``job_store`` yields an empty JobStore per test: SQLite on a temporary file always; Firestore
(marked ``emulator``) once ``tests/contract/gcp_fixtures.py`` provides it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trendreel.adapters.sqlite_jobs import SqliteJobStore
from trendreel.ports import JobStore

GCP_FIXTURES = "tests.contract.gcp_fixtures"


def _firestore_job_store(request: pytest.FixtureRequest) -> Iterator[JobStore]:
    """Imported lazily: the module may not exist yet, and needs the emulator when it does."""
    try:
        gcp_fixtures: Any = importlib.import_module(GCP_FIXTURES)
    except ModuleNotFoundError as exc:
        if exc.name != GCP_FIXTURES:
            raise
        pytest.skip("firestore fixture not available yet")
    if hasattr(gcp_fixtures, "firestore_job_store"):
        store = gcp_fixtures.firestore_job_store(request)
    elif hasattr(gcp_fixtures, "firestore_store_or_skip"):
        store = gcp_fixtures.firestore_store_or_skip()
    else:
        pytest.skip("firestore fixture not available yet")
    if inspect.isgenerator(store):  # a factory with teardown: yield the store, then finish
        yield from store
    else:
        yield store


@pytest.fixture(
    params=["sqlite", pytest.param("firestore", marks=pytest.mark.emulator)],
)
def job_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    if request.param == "sqlite":
        yield SqliteJobStore(tmp_path / "jobs.sqlite3")
    else:
        yield from _firestore_job_store(request)
