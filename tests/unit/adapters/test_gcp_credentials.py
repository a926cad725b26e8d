"""Without Google Cloud credentials, each gcp adapter fails at start with what to do about it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from trendreel.adapters.cloud_tasks_queue import CloudTasksQueue
from trendreel.adapters.firestore_jobs import FirestoreJobStore
from trendreel.adapters.gcs_blobs import GcsBlobStore
from trendreel.errors import ProviderNotConfiguredError
from trendreel.settings import Settings

ADAPTERS: list[tuple[str, Callable[[Settings], object]]] = [
    ("firestore", FirestoreJobStore.from_settings),
    ("gcs", GcsBlobStore.from_settings),
    ("cloud_tasks", CloudTasksQueue.from_settings),
]


@pytest.mark.parametrize(("service", "build"), ADAPTERS)
def test_missing_credentials_name_the_fix(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    service: str,
    build: Callable[[Settings], object],
) -> None:
    for name in ("FIRESTORE_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "CLOUD_TASKS_EMULATOR_HOST"):
        monkeypatch.delenv(name, raising=False)
    # An unreadable key file makes google.auth.default() fail at once (no metadata probing).
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    settings = Settings(backend="gcp", gcp_project="proj-1", gcs_bucket="media")

    with pytest.raises(ProviderNotConfiguredError) as caught:
        build(settings)

    error = caught.value
    assert error.provider == service
    assert error.message.startswith(f"{service}: no Google Cloud credentials found")
    assert "missing-key.json" in error.message
    assert "gcloud auth application-default login" in error.hint
    assert "STORAGE_EMULATOR_HOST" in error.hint
    assert error.setting == "GOOGLE_APPLICATION_CREDENTIALS"
