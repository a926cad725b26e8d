"""The TaskQueue contract: what every queue adapter (local SQLite, Cloud Tasks) must do.

Each adapter comes as a harness: ``.queue`` (the TaskQueue) and ``.drain(timeout)``, which returns
once the queue has delivered everything it holds (retries included) or the timeout has passed,
so the cases do not depend on timing. Stage functions are played by the ``http_fixture`` server.

* ``local``: LocalTaskQueue on a temporary file, driven by ``dispatch_once``, retrying at once.
* ``cloud_tasks`` (emulator): ``tests.contract.gcp_fixtures.cloud_tasks_queue(request,
  target_url_template)`` returns the harness (or a context manager yielding it) and cleans up
  through ``request.addfinalizer``; ``target_url_template`` has a ``{name}`` placeholder for the
  function name. Skipped when that module is not available.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.support.http_fixture import FixtureServer, Recorded, Scripted
from trendreel.adapters.local_queue import LocalTaskQueue
from trendreel.models import Stage, TaskPayload
from trendreel.ports import TaskQueue
from trendreel.settings import Settings
from trendreel.tasks import task_name

DRAIN_TIMEOUT = 20.0


class QueueHarness(Protocol):
    @property
    def queue(self) -> TaskQueue: ...

    def drain(self, timeout: float) -> None: ...


@dataclass
class LocalHarness:
    queue: LocalTaskQueue

    def drain(self, timeout: float) -> None:
        self.queue.drain(timeout)


def _cloud_tasks(request: pytest.FixtureRequest, template: str) -> Iterator[QueueHarness]:
    try:
        from tests.contract.gcp_fixtures import (  # type: ignore[import-not-found,unused-ignore]
            cloud_tasks_queue,
        )
    except ImportError as exc:
        pytest.skip(f"Cloud Tasks fixtures are not available: {exc}")
    made: Any = cloud_tasks_queue(request, template)
    if isinstance(made, AbstractContextManager):
        with made as harness:
            yield harness
    else:
        yield made


@pytest.fixture(params=["local", pytest.param("cloud_tasks", marks=pytest.mark.emulator)])
def task_queue(
    request: pytest.FixtureRequest, http_fixture: FixtureServer, tmp_path: Path
) -> Iterator[QueueHarness]:
    template = f"{http_fixture.url}/functions/{{name}}"
    if request.param == "cloud_tasks":
        yield from _cloud_tasks(request, template)
        return
    settings = Settings(
        home=tmp_path,
        function_url_template=template,
        queue_name="contract-queue",
        queue_min_backoff_seconds=0,
        queue_max_backoff_seconds=0,
        task_max_attempts=5,
    )
    queue = LocalTaskQueue(tmp_path / "queue.sqlite3", settings=settings, auth_token="contract")
    try:
        yield LocalHarness(queue)
    finally:
        queue.close()


def _payload(stage: Stage = Stage.COMPOSITION) -> TaskPayload:
    # A fresh job id per case: a real queue keeps names reserved long after the task ends.
    return TaskPayload(job_id=f"ct{uuid.uuid4().hex[:16]}", stage=stage, generation=1)


def _deliveries(server: FixtureServer, stage: Stage) -> list[Recorded]:
    return [r for r in server.requests if r.path == f"/functions/{stage.value}"]


def test_enqueue_returns_the_name_and_is_pending_until_delivered(
    task_queue: QueueHarness, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({"status": "done"}))
    payload = _payload()
    name = task_name(payload)

    # A short delay so that no real queue can deliver before the first pending() check.
    assert task_queue.queue.enqueue(payload, task_name=name, delay_seconds=1) == name
    assert task_queue.queue.pending(name)

    task_queue.drain(DRAIN_TIMEOUT)
    assert not task_queue.queue.pending(name)
    assert len(_deliveries(http_fixture, Stage.COMPOSITION)) == 1


def test_unknown_name_is_not_pending(task_queue: QueueHarness) -> None:
    assert not task_queue.queue.pending(task_name(_payload()))


def test_the_same_name_twice_is_delivered_once(
    task_queue: QueueHarness, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({"status": "done"}))
    payload = _payload()
    name = task_name(payload)

    assert task_queue.queue.enqueue(payload, task_name=name) == name
    assert task_queue.queue.enqueue(payload, task_name=name) == name
    task_queue.drain(DRAIN_TIMEOUT)

    assert len(_deliveries(http_fixture, Stage.COMPOSITION)) == 1
    assert not task_queue.queue.pending(name)


def test_a_finished_name_stays_reserved(
    task_queue: QueueHarness, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({"status": "done"}))
    payload = _payload()
    name = task_queue.queue.enqueue(payload, task_name=task_name(payload))
    task_queue.drain(DRAIN_TIMEOUT)

    # Cloud Tasks keeps the name for about an hour after the task ends: success, no new task.
    assert task_queue.queue.enqueue(payload, task_name=name) == name
    assert not task_queue.queue.pending(name)
    task_queue.drain(1.0)

    assert len(_deliveries(http_fixture, Stage.COMPOSITION)) == 1


def test_the_delivery_carries_the_payload_and_cloud_tasks_headers(
    task_queue: QueueHarness, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/functions/trend_analysis", Scripted.json({"status": "done"}))
    payload = _payload(Stage.TREND_ANALYSIS)
    name = task_queue.queue.enqueue(payload, task_name=task_name(payload))

    task_queue.drain(DRAIN_TIMEOUT)

    [delivery] = http_fixture.requests
    assert delivery.method == "POST"
    assert delivery.path == "/functions/trend_analysis"
    assert TaskPayload.model_validate(delivery.json()) == payload
    assert delivery.headers["content-type"].startswith("application/json")
    assert delivery.headers["x-cloudtasks-taskname"] == name
    assert delivery.headers["x-cloudtasks-queuename"].endswith(task_queue.queue.name)
    assert delivery.headers["x-cloudtasks-taskretrycount"] == "0"
    assert delivery.headers["x-cloudtasks-taskexecutioncount"] == "0"


def test_a_503_is_retried_until_a_2xx(
    task_queue: QueueHarness, http_fixture: FixtureServer
) -> None:
    http_fixture.add(
        "POST",
        "/functions/composition",
        Scripted.json({"error": "busy"}, status=503),
        Scripted.json({"status": "done"}),
    )
    payload = _payload()
    name = task_queue.queue.enqueue(payload, task_name=task_name(payload))

    task_queue.drain(DRAIN_TIMEOUT)

    first, second = _deliveries(http_fixture, Stage.COMPOSITION)
    assert first.headers["x-cloudtasks-taskretrycount"] == "0"
    assert second.headers["x-cloudtasks-taskretrycount"] == "1"
    assert first.headers["x-cloudtasks-taskexecutioncount"] == "0"
    assert second.headers["x-cloudtasks-taskexecutioncount"] == "1"
    assert first.json() == second.json() == payload.model_dump(mode="json")
    assert not task_queue.queue.pending(name)


@pytest.mark.parametrize("status", [200, 204])
def test_any_2xx_drops_the_task(
    task_queue: QueueHarness, http_fixture: FixtureServer, status: int
) -> None:
    http_fixture.add("POST", "/functions/review", Scripted(status=status))
    payload = _payload(Stage.REVIEW)
    name = task_queue.queue.enqueue(payload, task_name=task_name(payload))

    task_queue.drain(DRAIN_TIMEOUT)
    assert not task_queue.queue.pending(name)
    task_queue.drain(1.0)

    assert len(_deliveries(http_fixture, Stage.REVIEW)) == 1
