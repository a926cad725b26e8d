"""build_runtime(backend="gcp") wires the three Google Cloud adapters from settings alone, here
pointed at the emulators through their standard environment variables."""

from __future__ import annotations

import pytest

from tests.contract import gcp_fixtures
from trendreel.adapters.cloud_tasks_queue import CloudTasksQueue
from trendreel.adapters.firestore_jobs import FirestoreJobStore
from trendreel.adapters.gcs_blobs import GcsBlobStore
from trendreel.bootstrap import build_runtime
from trendreel.settings import Settings

pytestmark = pytest.mark.emulator


def test_gcp_runtime_from_settings(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    firestore = gcp_fixtures.firestore_emulator(request)
    storage = gcp_fixtures.storage_emulator(request)
    tasks = gcp_fixtures.tasks_emulator(request)
    emulated = gcp_fixtures.cloud_tasks_queue(request, "http://127.0.0.1:9/{name}")
    bucket = gcp_fixtures.gcs_blob_store(request).uri("k").removeprefix("gs://").split("/")[0]
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore.host)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", storage.endpoint)
    monkeypatch.setenv("CLOUD_TASKS_EMULATOR_HOST", tasks.host)

    settings = Settings(
        backend="gcp",
        gcp_project=gcp_fixtures.PROJECT,
        gcp_location=gcp_fixtures.LOCATION,
        gcs_bucket=f"gs://{bucket}/prod",
        firestore_collection="bootstrap_jobs",
        queue_name=emulated.queue.name,
    )
    runtime = build_runtime(settings)

    assert isinstance(runtime.store, FirestoreJobStore)
    assert isinstance(runtime.queue, CloudTasksQueue)
    assert isinstance(runtime.blobs, GcsBlobStore)
    runtime.store.ping()
    runtime.queue.ping()
    assert runtime.store.collection == "bootstrap_jobs"
    assert runtime.queue.path == emulated.path
    assert runtime.blobs.put_bytes("jobs/j1/x.json", b"{}") == f"gs://{bucket}/prod/jobs/j1/x.json"
    assert runtime.blobs.get_bytes("jobs/j1/x.json") == b"{}"
