"""POST /jobs/{id}/retry: only failed jobs, resume at the first incomplete stage, one winner."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, client_for, error_code
from tests.unit.api.fakes import FakeJobStore, FakeTaskQueue, finished_job, make_job
from trendreel.bootstrap import Runtime
from trendreel.models import JobStatus, Stage


def test_retry_resumes_a_failed_job_at_its_first_incomplete_stage(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue
) -> None:
    store.create(make_job("job-failed", status=JobStatus.FAILED, completed=2))

    response = client.post("/jobs/job-failed/retry", headers=AUTH)

    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued"
    assert body["resume_from"] == "content_generation"
    assert body["skipping_stages"] == ["trend_collection", "trend_analysis"]
    job = store.jobs["job-failed"]
    assert (job.status, job.generation, job.error) == (JobStatus.PENDING, 2, None)
    assert job.completed_stages == [Stage.TREND_COLLECTION, Stage.TREND_ANALYSIS]
    [(name, payload)] = queue.tasks.items()
    assert body["task_id"] == f"tasks/{name}"
    assert (payload.stage, payload.generation) == (Stage.CONTENT_GENERATION, 2)


def test_retry_accepts_an_empty_json_object(client: FlaskClient, store: FakeJobStore) -> None:
    store.create(make_job("job-failed", status=JobStatus.FAILED))

    assert client.post("/jobs/job-failed/retry", json={}, headers=AUTH).status_code == 202


@pytest.mark.parametrize("status", [JobStatus.PENDING, JobStatus.RUNNING])
def test_only_failed_jobs_can_be_retried(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue, status: JobStatus
) -> None:
    before = make_job("job-busy", status=status, completed=1)
    store.create(before)

    response = client.post("/jobs/job-busy/retry", headers=AUTH)

    assert response.status_code == 400
    assert error_code(response) == "job_not_failed"
    assert store.jobs["job-busy"] == before
    assert queue.tasks == {}


def test_a_completed_job_cannot_be_retried(client: FlaskClient, store: FakeJobStore) -> None:
    store.create(finished_job("job-done"))

    response = client.post("/jobs/job-done/retry", headers=AUTH)

    assert response.status_code == 400
    assert error_code(response) == "job_not_failed"


def test_retrying_an_unknown_job_is_404(client: FlaskClient) -> None:
    response = client.post("/jobs/job-nope/retry", headers=AUTH)

    assert response.status_code == 404
    assert error_code(response) == "job_not_found"


def test_two_concurrent_retries_exactly_one_wins(
    app: Flask, rt: Runtime, queue: FakeTaskQueue
) -> None:
    store = FakeJobStore(mutation_delay=0.05)  # both requests are inside the store at once
    rt.store = store
    store.create(make_job("job-failed", status=JobStatus.FAILED, completed=3))
    start = threading.Barrier(2)
    statuses: list[int] = []

    def retry() -> None:
        client = client_for(app, rt)
        start.wait()
        statuses.append(client.post("/jobs/job-failed/retry", headers=AUTH).status_code)

    threads = [threading.Thread(target=retry) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(statuses) == [202, 400]
    job = store.jobs["job-failed"]
    assert (job.status, job.generation) == (JobStatus.PENDING, 2)
    assert [(p.stage, p.generation) for p in queue.tasks.values()] == [(Stage.COMPOSITION, 2)]


def test_a_retry_whose_enqueue_fails_is_503_and_left_for_the_sweeper(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue
) -> None:
    store.create(make_job("job-failed", status=JobStatus.FAILED, completed=1))
    queue.fail = True

    response = client.post("/jobs/job-failed/retry", headers=AUTH)

    assert response.status_code == 503
    assert error_code(response) == "queue_unavailable"
    assert "sweeper" in response.get_json()["error"]["message"]
    assert store.jobs["job-failed"].status == JobStatus.PENDING  # the sweeper's to enqueue
