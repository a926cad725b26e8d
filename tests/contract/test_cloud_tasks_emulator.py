"""CloudTasksQueue against the Cloud Tasks emulator: tasks really are POSTed to the stage URLs.

Deadlines, OIDC tokens and retry policy are the emulator's blind spots; the unit tests
(tests/unit/adapters/test_cloud_tasks_queue.py) cover those on the tasks the adapter builds.
"""

from __future__ import annotations

import pytest

from tests.contract import gcp_fixtures
from tests.support.http_fixture import FixtureServer, Scripted
from trendreel.adapters.cloud_tasks_queue import CloudTasksQueue, QueueNotFoundError
from trendreel.models import Stage, TaskPayload
from trendreel.tasks import task_name

pytestmark = pytest.mark.emulator

JOB = "20240501T120000-abcd1234"


def payload(stage: Stage, generation: int = 1) -> TaskPayload:
    return TaskPayload(job_id=JOB, stage=stage, generation=generation)


@pytest.fixture
def emulated(
    request: pytest.FixtureRequest, http_fixture: FixtureServer
) -> gcp_fixtures.EmulatedQueue:
    return gcp_fixtures.cloud_tasks_queue(request, http_fixture.url + "/functions/{name}")


def test_tasks_are_posted_to_their_stage_function(
    emulated: gcp_fixtures.EmulatedQueue, http_fixture: FixtureServer
) -> None:
    for stage in (Stage.TREND_COLLECTION, Stage.COMPOSITION):
        http_fixture.add("POST", f"/functions/{stage.value}", Scripted.json({"ok": True}))
    sent = [payload(Stage.TREND_COLLECTION), payload(Stage.COMPOSITION, generation=2)]

    names = [emulated.queue.enqueue(p, task_name=task_name(p)) for p in sent]
    emulated.drain(timeout=30)

    assert names == [task_name(p) for p in sent]
    delivered = {r.path: r for r in http_fixture.requests}
    assert set(delivered) == {"/functions/trend_collection", "/functions/composition"}
    for p in sent:
        request = delivered[f"/functions/{p.stage.value}"]
        assert request.method == "POST"
        assert TaskPayload.model_validate(request.json()) == p
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-cloudtasks-taskname"] == task_name(p)
        assert request.headers["x-cloudtasks-taskretrycount"] == "0"
        assert not emulated.queue.pending(task_name(p))


def test_a_failed_delivery_is_retried_with_its_retry_count(
    emulated: gcp_fixtures.EmulatedQueue, http_fixture: FixtureServer
) -> None:
    http_fixture.add(
        "POST",
        "/functions/trend_analysis",
        Scripted.text("busy", status=503),
        Scripted.text("lease held", status=429),
        Scripted.json({"ok": True}),
    )
    p = payload(Stage.TREND_ANALYSIS)

    emulated.queue.enqueue(p, task_name=task_name(p))
    emulated.drain(timeout=30)

    counts = [r.headers["x-cloudtasks-taskretrycount"] for r in http_fixture.requests]
    assert counts == ["0", "1", "2"]
    assert not emulated.queue.pending(task_name(p))


def test_a_task_name_is_used_once(
    emulated: gcp_fixtures.EmulatedQueue, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/functions/review", Scripted.json({"ok": True}))
    p = payload(Stage.REVIEW)

    first = emulated.queue.enqueue(p, task_name=task_name(p))
    assert emulated.queue.enqueue(p, task_name=task_name(p)) == first
    emulated.drain(timeout=30)
    assert emulated.queue.enqueue(p, task_name=task_name(p)) == first  # still reserved
    emulated.drain(timeout=30)

    assert len(http_fixture.requests) == 1


def test_a_delayed_task_is_pending_until_delivered(
    emulated: gcp_fixtures.EmulatedQueue, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/functions/content_generation", Scripted.json({"ok": True}))
    p = payload(Stage.CONTENT_GENERATION)

    emulated.queue.enqueue(p, task_name=task_name(p), delay_seconds=1.5)

    assert emulated.queue.pending(task_name(p))
    assert http_fixture.requests == []
    emulated.drain(timeout=30)
    assert len(http_fixture.requests) == 1
    assert not emulated.queue.pending(task_name(p))


def test_ping_and_a_missing_queue(
    request: pytest.FixtureRequest, emulated: gcp_fixtures.EmulatedQueue
) -> None:
    emulated.queue.ping()
    missing = CloudTasksQueue(
        emulated.client,
        project=gcp_fixtures.PROJECT,
        location=gcp_fixtures.LOCATION,
        queue="no-such-queue",
        url_for=lambda name: f"http://127.0.0.1:9/{name}",
        service_account=None,
        max_attempts=gcp_fixtures.TASKS_MAX_ATTEMPTS,
    )
    with pytest.raises(QueueNotFoundError, match="queues/no-such-queue"):
        missing.ping()
    p = payload(Stage.TREND_COLLECTION)
    with pytest.raises(QueueNotFoundError):
        missing.enqueue(p, task_name=task_name(p))
    assert missing.pending(task_name(p)) is False
