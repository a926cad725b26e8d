"""POST /videos/{id}/publish: an approved video's posts queued, safely repeatable; bad requests
refused with a clear error before anything is queued or recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, Clock, error_code
from tests.unit.api.fakes import FakeJobStore, FakeTaskQueue, finished_job
from trendreel.models import ReviewStatus
from trendreel.models.publishing import PublishTask

VIDEO = "job-0001"


@pytest.fixture
def approved(store: FakeJobStore) -> None:
    store.create(finished_job(VIDEO, ReviewStatus.APPROVED))


def publish(client: FlaskClient, **body: Any) -> Any:
    return client.post(f"/videos/{VIDEO}/publish", json=body, headers=AUTH)


def publish_tasks(queue: FakeTaskQueue) -> list[PublishTask]:
    return [t for t in queue.tasks.values() if isinstance(t, PublishTask)]


@pytest.mark.usefixtures("approved")
def test_publishing_queues_one_task_per_platform_and_repeating_adds_none(
    client: FlaskClient, queue: FakeTaskQueue
) -> None:
    first = publish(client, platforms=["youtube", "tiktok"], privacy="public")
    again = publish(client, platforms=["tiktok", "youtube"])

    assert (first.status_code, again.status_code) == (202, 202)
    assert {p["platform"] for p in again.get_json()["publications"]} == {"youtube", "tiktok"}
    assert {p["privacy"] for p in again.get_json()["publications"]} == {"public"}
    assert sorted(t.platform.value for t in publish_tasks(queue)) == ["tiktok", "youtube"]


@pytest.mark.usefixtures("approved")
def test_the_default_platform_is_the_configs_target(client: FlaskClient) -> None:
    response = publish(client)  # the default config targets tiktok
    assert [p["platform"] for p in response.get_json()["publications"]] == ["tiktok"]
    assert response.get_json()["publications"][0]["privacy"] == "private"


@pytest.mark.usefixtures("approved")
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"platforms": ["youtube"], "publish_at": "past"}, "invalid_publish_at"),
        ({"platforms": ["tiktok"], "privacy": "public", "publish_at": "future"},
         "invalid_publish_at"),
        ({"platforms": ["youtube"], "privacy": "private", "publish_at": "future"},
         "invalid_publish_at"),
        ({"platforms": ["instagram"]}, "invalid_body"),
        ({"platforms": []}, "invalid_body"),
        ({"privacy": "friends"}, "invalid_body"),
        ({"publish_at": "2030-01-01T00:00:00"}, "invalid_body"),  # no timezone
        ({"surprise": True}, "invalid_body"),
    ],
)  # fmt: skip
def test_bad_requests_change_nothing(
    client: FlaskClient,
    store: FakeJobStore,
    queue: FakeTaskQueue,
    clock: Clock,
    body: dict[str, Any],
    code: str,
) -> None:
    times = {"past": clock() - timedelta(minutes=1), "future": clock() + timedelta(days=1)}
    if body.get("publish_at") in times:
        body["publish_at"] = times[body["publish_at"]].isoformat()
    response = publish(client, **body)

    assert response.status_code == 400, response.get_json()
    assert error_code(response) == code
    stored = store.get(VIDEO)
    assert stored is not None
    assert stored.publications == {}
    assert publish_tasks(queue) == []


@pytest.mark.usefixtures("approved")
def test_a_scheduled_public_youtube_post_is_accepted(client: FlaskClient, clock: Clock) -> None:
    when = (clock() + timedelta(days=1)).isoformat()
    response = publish(client, platforms=["youtube"], privacy="public", publish_at=when)
    assert response.status_code == 202
    assert response.get_json()["publications"][0]["publish_at"] is not None


def test_a_video_not_approved_is_refused(client: FlaskClient, store: FakeJobStore) -> None:
    store.create(finished_job(VIDEO, ReviewStatus.GENERATED))
    response = publish(client, platforms=["youtube"])
    assert response.status_code == 400
    assert error_code(response) == "video_not_approved"
