"""Cloud Scheduler calling POST /generate: one job per scheduled run however often it is
delivered, and a JSON body whatever Content-Type it arrives with."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, error_code
from tests.unit.api.fakes import FakeJobStore, FakeTaskQueue
from tests.unit.auth.conftest import PERSON, Key, mint
from trendreel.models import Trigger

RUN = {
    "X-CloudScheduler": "true",
    "X-CloudScheduler-JobName": "trendreel-daily",
    "X-CloudScheduler-ScheduleTime": "2025-03-14T12:00:00.000Z",
}


def scheduled(at: str = "2025-03-14T12:00:00.000Z", **more: str) -> dict[str, str]:
    return {**AUTH, **RUN, "X-CloudScheduler-ScheduleTime": at, **more}


def test_a_repeated_delivery_of_one_scheduled_run_creates_one_job(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue
) -> None:
    first = client.post("/generate", headers=scheduled())
    second = client.post("/generate", headers=scheduled())

    assert first.status_code == second.status_code == 202
    assert first.get_json()["job_id"] == second.get_json()["job_id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "scheduled run" in second.get_json()["message"]
    [job] = store.jobs.values()
    assert job.trigger == Trigger.SCHEDULER
    assert job.idempotency_key == "scheduler:trendreel-daily:2025-03-14T12:00:00Z"
    assert len(queue.tasks) == 1


def test_the_next_scheduled_run_is_a_new_job(client: FlaskClient, store: FakeJobStore) -> None:
    for at in ("2025-03-14T12:00:00Z", "2025-03-15T12:00:00Z"):
        assert client.post("/generate", headers=scheduled(at)).status_code == 202

    assert len(store.jobs) == 2


def test_two_spellings_of_one_schedule_time_are_one_run(
    client: FlaskClient, store: FakeJobStore
) -> None:
    for at in ("2025-03-14T12:00:00Z", "2025-03-14T12:00:00.000000Z", "2025-03-14T13:00:00+01:00"):
        assert client.post("/generate", headers=scheduled(at)).status_code == 202

    assert len(store.jobs) == 1


def test_two_scheduler_jobs_at_the_same_time_are_two_runs(
    client: FlaskClient, store: FakeJobStore
) -> None:
    client.post("/generate", headers=scheduled())
    client.post("/generate", headers=scheduled(**{"X-CloudScheduler-JobName": "weekly"}))

    assert len(store.jobs) == 2


def test_an_explicit_idempotency_key_wins(client: FlaskClient, store: FakeJobStore) -> None:
    client.post("/generate", headers=scheduled(**{"Idempotency-Key": "manual-1"}))

    [job] = store.jobs.values()
    assert job.idempotency_key == "manual-1"
    assert job.trigger == Trigger.SCHEDULER


def test_scheduler_headers_that_cannot_make_a_key_are_400(
    client: FlaskClient, store: FakeJobStore
) -> None:
    response = client.post(
        "/generate", headers=scheduled(**{"X-CloudScheduler-JobName": "has space"})
    )

    assert response.status_code == 400
    assert error_code(response) == "invalid_scheduler_headers"
    assert store.jobs == {}


@pytest.mark.parametrize(
    "content_type", ["application/octet-stream", "text/plain", "application/json", None]
)
def test_the_body_is_json_whatever_the_content_type(
    client: FlaskClient, store: FakeJobStore, content_type: str | None
) -> None:
    headers = scheduled() | ({"Content-Type": content_type} if content_type else {})

    response = client.post(
        "/generate", data=json.dumps({"theme": "urban gardening"}).encode(), headers=headers
    )

    assert response.status_code == 202
    [job] = store.jobs.values()
    assert job.theme == "urban gardening"


@pytest.mark.usefixtures("gcp")
def test_the_scheduler_with_its_oidc_token_on_gcp(
    client: FlaskClient, store: FakeJobStore, google_key: Key
) -> None:
    headers = {**RUN, "Authorization": f"Bearer {mint(google_key)}"}
    body = b'{"theme": "coffee"}'

    first = client.post(
        "/generate", data=body, headers=headers, content_type="application/octet-stream"
    )
    again = client.post(
        "/generate", data=body, headers=headers, content_type="application/octet-stream"
    )

    assert first.status_code == again.status_code == 202
    [job] = store.jobs.values()
    assert (job.theme, job.trigger) == ("coffee", Trigger.SCHEDULER)


@pytest.mark.usefixtures("gcp")
def test_only_the_schedulers_account_makes_a_scheduled_run(
    client: FlaskClient, store: FakeJobStore, google_key: Key
) -> None:
    # An allow-listed person copying the scheduler's headers cannot take its run over: the
    # headers are ignored, and each call is a job of its own.
    person = {**RUN, "Authorization": f"Bearer {mint(google_key, email=PERSON)}"}
    first = client.post("/generate", json={"theme": "coffee"}, headers=person)
    again = client.post("/generate", json={"theme": "coffee"}, headers=person)
    assert first.status_code == again.status_code == 202
    assert first.get_json()["job_id"] != again.get_json()["job_id"]
    assert {j.trigger for j in store.jobs.values()} == {Trigger.CLIENT}
    assert {j.idempotency_key for j in store.jobs.values()} == {None}

    scheduler = {**RUN, "Authorization": f"Bearer {mint(google_key)}"}
    run = client.post("/generate", json={"theme": "coffee"}, headers=scheduler)
    assert store.jobs[run.get_json()["job_id"]].trigger == Trigger.SCHEDULER


@pytest.mark.parametrize("key", ["scheduler:trendreel-daily:2025-03-14T12:00:00Z", "Scheduler:x"])
def test_the_scheduler_key_namespace_is_reserved(
    client: FlaskClient, store: FakeJobStore, key: str
) -> None:
    scheduled_run = client.post("/generate", json={"theme": "tea"}, headers=scheduled())
    assert scheduled_run.status_code == 202

    response = client.post(
        "/generate", json={"theme": "x"}, headers={**AUTH, "Idempotency-Key": key}
    )

    assert response.status_code == 400
    assert error_code(response) == "reserved_idempotency_key"
    assert len(store.jobs) == 1  # nothing created, the scheduled run untouched
