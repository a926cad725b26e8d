"""The api on the runtime ``build_runtime`` makes for the local backend (SQLite jobs, the SQLite
task queue, local blobs): the same guarantees as with the fakes, with real transactions."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, client_for
from tests.unit.api.fakes import make_job
from trendreel.bootstrap import Runtime, build_runtime
from trendreel.models import JobStatus, Stage, TaskPayload
from trendreel.settings import Settings
from trendreel.tasks import task_name


@pytest.fixture
def local(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)  # the queue is not started: nothing is delivered
    try:
        yield runtime
    finally:
        runtime.queue.close()  # type: ignore[attr-defined]


@pytest.fixture
def local_client(app: Flask, local: Runtime) -> FlaskClient:
    return client_for(app, local)


def test_generate_is_idempotent_on_sqlite(local_client: FlaskClient, local: Runtime) -> None:
    headers = {**AUTH, "Idempotency-Key": "daily"}

    first = local_client.post("/generate", json={"theme": "tea"}, headers=headers)
    second = local_client.post("/generate", json={"theme": "tea"}, headers=headers)

    assert first.status_code == second.status_code == 202
    job_id = first.get_json()["job_id"]
    assert second.get_json()["job_id"] == job_id
    jobs, _ = local.store.list_jobs(status=None, limit=10, cursor=None)
    assert [job.id for job in jobs] == [job_id]
    payload = TaskPayload(job_id=job_id, stage=Stage.TREND_COLLECTION, generation=1)
    assert local.queue.pending(task_name(payload))
    assert local_client.get(f"/jobs/{job_id}", headers=AUTH).get_json()["theme"] == "tea"


def test_a_foreign_cursor_is_400_on_sqlite(local_client: FlaskClient) -> None:
    assert local_client.get("/jobs?cursor=not:a:job", headers=AUTH).status_code == 400


def test_health_on_the_local_runtime(local_client: FlaskClient) -> None:
    assert local_client.get("/health").get_json()["status"] == "ok"


def test_concurrent_retries_on_sqlite_have_one_winner(app: Flask, local: Runtime) -> None:
    local.store.create(make_job("job-failed", status=JobStatus.FAILED, completed=1))
    start = threading.Barrier(4)
    statuses: list[int] = []

    def retry() -> None:
        client = client_for(app, local)
        start.wait()
        statuses.append(client.post("/jobs/job-failed/retry", headers=AUTH).status_code)

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(statuses) == [202, 400, 400, 400]
    job = local.store.get("job-failed")
    assert job is not None
    assert (job.status, job.generation) == (JobStatus.PENDING, 2)
    payload = TaskPayload(job_id="job-failed", stage=Stage.TREND_ANALYSIS, generation=2)
    assert local.queue.pending(task_name(payload))
