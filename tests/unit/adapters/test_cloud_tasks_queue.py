"""CloudTasksQueue against an in-process fake of the three CloudTasksClient methods it calls.

What the Tasks emulator cannot show (it ignores deadlines and OIDC tokens and does not de-duplicate
names) is checked here on the tasks the adapter builds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.api_core import exceptions as api
from google.api_core.retry import Retry
from google.cloud import tasks_v2

from trendreel.adapters.cloud_tasks_queue import (
    MAX_DISPATCH_DEADLINE,
    MIN_DISPATCH_DEADLINE,
    CloudTasksQueue,
    QueueNotFoundError,
    dispatch_deadline,
)
from trendreel.errors import (
    ConfigError,
    ProviderAuthError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderUnavailableError,
    TrendreelError,
)
from trendreel.lifecycle import STAGE_TIMEOUT_SECONDS
from trendreel.models import Stage, TaskPayload
from trendreel.ports import TaskQueue
from trendreel.settings import Settings
from trendreel.tasks import task_name

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
QUEUE_PATH = "projects/proj-1/locations/europe-west1/queues/stages"
SA = "tasks-invoker@proj-1.iam.gserviceaccount.com"


class FakeTasksClient:
    """Keeps tasks by name like Cloud Tasks; ``fail_with`` makes the next call raise."""

    def __init__(self) -> None:
        self.tasks: dict[str, tasks_v2.Task] = {}
        self.queues: dict[str, tasks_v2.Queue] = {QUEUE_PATH: tasks_v2.Queue(name=QUEUE_PATH)}
        self.reserved: set[str] = set()  # names stay taken after the task is gone
        self.fail_with: Exception | None = None
        self.create_retries: list[Retry] = []

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error

    def create_task(
        self, *, parent: str, task: tasks_v2.Task, retry: Retry, timeout: float
    ) -> tasks_v2.Task:
        self._maybe_fail()
        self.create_retries.append(retry)
        if parent not in self.queues:
            raise api.NotFound(f"Queue {parent} does not exist.")
        if task.name in self.reserved:
            raise api.AlreadyExists(f"Requested entity already exists: {task.name}")
        assert task.name.startswith(f"{parent}/tasks/")
        self.reserved.add(task.name)
        self.tasks[task.name] = task
        return task

    def get_task(self, *, name: str, timeout: float) -> tasks_v2.Task:
        self._maybe_fail()
        if name not in self.tasks:
            raise api.NotFound(f"Task {name} not found.")
        return self.tasks[name]

    def get_queue(self, *, name: str, timeout: float) -> tasks_v2.Queue:
        self._maybe_fail()
        if name not in self.queues:
            raise api.NotFound(f"Queue {name} not found.")
        return self.queues[name]

    def finish(self, name: str) -> None:
        """The task was delivered with 2xx: Cloud Tasks deletes it (the name stays reserved)."""
        del self.tasks[name]


def url_for(name: str) -> str:
    return f"https://trendreel-{name.replace('_', '-')}-abc123-ew.a.run.app"


@pytest.fixture
def client() -> FakeTasksClient:
    return FakeTasksClient()


def make_queue(
    client: FakeTasksClient, *, service_account: str | None = SA, queue: str = "stages"
) -> CloudTasksQueue:
    return CloudTasksQueue(
        client,
        project="proj-1",
        location="europe-west1",
        queue=queue,
        url_for=url_for,
        service_account=service_account,
        max_attempts=5,
        clock=lambda: NOW,
    )


def payload(stage: Stage = Stage.TREND_COLLECTION, generation: int = 1) -> TaskPayload:
    return TaskPayload(job_id="20240501T120000-abcd1234", stage=stage, generation=generation)


def enqueue(queue: CloudTasksQueue, p: TaskPayload, delay: float = 0) -> tasks_v2.Task:
    assert queue.enqueue(p, task_name=task_name(p), delay_seconds=delay) == task_name(p)
    client = queue._client
    assert isinstance(client, FakeTasksClient)
    return client.tasks[queue.task_path(task_name(p))]


def test_satisfies_the_port(client: FakeTasksClient) -> None:
    port: TaskQueue = make_queue(client)
    assert port.name == "stages"


@pytest.mark.parametrize("stage", list(Stage))
def test_task_posts_the_payload_to_the_stage_function(
    client: FakeTasksClient, stage: Stage
) -> None:
    queue = make_queue(client)
    p = payload(stage, generation=3)

    assert queue.enqueue(p, task_name=task_name(p)) == task_name(p)

    name = f"{QUEUE_PATH}/tasks/{task_name(p)}"
    task = client.tasks[name]
    assert task.name == name
    request = task.http_request
    assert request.http_method == tasks_v2.HttpMethod.POST
    assert request.url == url_for(stage.value)
    assert dict(request.headers) == {"Content-Type": "application/json"}
    assert TaskPayload.model_validate(json.loads(request.body)) == p
    assert request.oidc_token.service_account_email == SA
    assert request.oidc_token.audience == url_for(stage.value)
    expected = min(max(STAGE_TIMEOUT_SECONDS[stage], 15), 1800)
    assert task.dispatch_deadline == timedelta(seconds=expected)
    assert "schedule_time" not in task  # immediately


def test_without_a_service_account_no_oidc_token(client: FakeTasksClient) -> None:
    task = enqueue(make_queue(client, service_account=None), payload())
    assert "oidc_token" not in task.http_request
    assert task.http_request.url == url_for("trend_collection")


def test_dispatch_deadline_is_clamped_to_cloud_tasks_limits() -> None:
    assert (MIN_DISPATCH_DEADLINE, MAX_DISPATCH_DEADLINE) == (15, 1800)
    assert dispatch_deadline(1) == timedelta(seconds=15)
    assert dispatch_deadline(15) == timedelta(seconds=15)
    assert dispatch_deadline(300) == timedelta(seconds=300)
    assert dispatch_deadline(1800) == timedelta(seconds=1800)
    assert dispatch_deadline(7200) == timedelta(seconds=1800)


def test_stage_deadlines_follow_the_stage_timeouts(
    client: FakeTasksClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(STAGE_TIMEOUT_SECONDS, Stage.COMPOSITION, 3600)
    monkeypatch.setitem(STAGE_TIMEOUT_SECONDS, Stage.REVIEW, 5)
    queue = make_queue(client)
    assert enqueue(queue, payload(Stage.COMPOSITION)).dispatch_deadline == timedelta(minutes=30)
    assert enqueue(queue, payload(Stage.REVIEW)).dispatch_deadline == timedelta(seconds=15)


def test_delay_sets_the_schedule_time(client: FakeTasksClient) -> None:
    queue = make_queue(client)
    task = enqueue(queue, payload(), delay=90.5)
    assert task.schedule_time == NOW + timedelta(seconds=90.5)
    assert task.schedule_time.tzinfo is not None


def test_duplicate_enqueue_is_success_and_keeps_the_first_task(client: FakeTasksClient) -> None:
    queue = make_queue(client)
    p = payload()
    first = queue.enqueue(p, task_name=task_name(p))
    again = queue.enqueue(p, task_name=task_name(p), delay_seconds=30)

    assert again == first == task_name(p)
    path = f"{QUEUE_PATH}/tasks/{first}"
    assert list(client.tasks) == [path]
    assert "schedule_time" not in client.tasks[path]  # the second request was dropped

    client.finish(path)  # delivered; Cloud Tasks still reserves the name
    assert queue.enqueue(p, task_name=task_name(p)) == first
    assert client.tasks == {}


def test_create_is_retried_only_on_transient_errors(client: FakeTasksClient) -> None:
    enqueue(make_queue(client), payload())
    retry = client.create_retries[0]
    assert retry._predicate(api.ServiceUnavailable("x"))
    assert retry._predicate(api.DeadlineExceeded("x"))
    assert not retry._predicate(api.InvalidArgument("x"))
    assert not retry._predicate(api.AlreadyExists("x"))


def test_pending_until_the_task_is_gone(client: FakeTasksClient) -> None:
    queue = make_queue(client)
    p = payload()
    assert queue.pending(task_name(p)) is False
    name = queue.enqueue(p, task_name=task_name(p))
    assert queue.pending(name) is True
    assert queue.pending(f"{QUEUE_PATH}/tasks/{name}") is True  # the full path works too
    client.finish(f"{QUEUE_PATH}/tasks/{name}")
    assert queue.pending(name) is False


def test_ping_checks_the_queue(client: FakeTasksClient) -> None:
    make_queue(client).ping()
    with pytest.raises(QueueNotFoundError, match="queues/missing") as caught:
        make_queue(client, queue="missing").ping()
    assert isinstance(caught.value.__cause__, api.NotFound)


def test_enqueue_on_a_missing_queue_names_it(client: FakeTasksClient) -> None:
    queue = make_queue(client, queue="missing")
    p = payload()
    with pytest.raises(QueueNotFoundError, match="queues/missing"):
        queue.enqueue(p, task_name=task_name(p))


TRANSLATIONS: list[tuple[Exception, type[TrendreelError], bool]] = [
    (api.ServiceUnavailable("backend down"), ProviderUnavailableError, True),
    (api.DeadlineExceeded("too slow"), ProviderUnavailableError, True),
    (api.InternalServerError("oops"), ProviderUnavailableError, True),
    (api.RetryError("gave up", cause=api.ServiceUnavailable("x")), ProviderUnavailableError, True),
    (api.ResourceExhausted("quota"), ProviderRateLimitError, True),
    (api.PermissionDenied("no enqueuer role"), ProviderAuthError, False),
    (api.Unauthenticated("bad token"), ProviderAuthError, False),
    (api.InvalidArgument("bad task"), ProviderResponseError, False),
    (api.FailedPrecondition("queue paused"), ProviderResponseError, False),
]  # fmt: skip


@pytest.mark.parametrize(("error", "expected", "retryable"), TRANSLATIONS)
def test_api_errors_are_translated(
    client: FakeTasksClient, error: Exception, expected: type[TrendreelError], retryable: bool
) -> None:
    queue = make_queue(client)
    p = payload()
    calls = [
        lambda: queue.enqueue(p, task_name=task_name(p)),
        lambda: queue.pending(task_name(p)),
        queue.ping,
    ]
    for call in calls:
        client.fail_with = error
        with pytest.raises(expected) as caught:
            call()
        assert type(caught.value) is expected
        assert caught.value.retryable is retryable
        assert caught.value.__cause__ is error
        assert caught.value.message.startswith("cloud_tasks: ")
        assert QUEUE_PATH in caught.value.message
        assert type(error).__name__ in caught.value.message
    if expected is ProviderAuthError:
        assert "roles/cloudtasks.enqueuer" in caught.value.hint


BAD_NAMES = ["", "has/slash", "has space", "x" * 501, "ünïcode", f"{QUEUE_PATH}/tasks/"]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_invalid_task_names_are_config_errors(client: FakeTasksClient, bad: str) -> None:
    queue = make_queue(client)
    with pytest.raises(ConfigError):
        queue.enqueue(payload(), task_name=bad)
    with pytest.raises(ConfigError):
        queue.pending(bad)
    assert client.tasks == {}


def test_invalid_queue_settings_are_config_errors(client: FakeTasksClient) -> None:
    with pytest.raises(ConfigError) as caught:
        make_queue(client, queue="bad/queue")
    assert caught.value.field == "queue_name"
    with pytest.raises(ConfigError) as caught:
        CloudTasksQueue(
            client,
            project="",
            location="europe-west1",
            queue="stages",
            url_for=url_for,
            service_account=None,
            max_attempts=5,
        )
    assert caught.value.field == "gcp_project"


def test_from_settings_uses_the_function_urls_and_identity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOUD_TASKS_EMULATOR_HOST", "127.0.0.1:1")  # no credentials needed
    settings = Settings(
        backend="gcp",
        gcp_project="proj-1",
        gcp_location="europe-west1",
        queue_name="stages",
        tasks_service_account=SA,
        task_max_attempts=7,
        function_url_template="https://{name}-abc123-ew.a.run.app",
    )
    queue = CloudTasksQueue.from_settings(settings)
    assert queue.path == QUEUE_PATH
    assert queue.max_attempts == 7
    task = queue.build_task(payload(Stage.COMPOSITION), task_name="t-1", delay_seconds=0)
    assert task.http_request.url == "https://composition-abc123-ew.a.run.app"
    assert task.http_request.oidc_token.service_account_email == SA

    with pytest.raises(ConfigError, match="TRENDREEL_GCP_PROJECT"):
        CloudTasksQueue.from_settings(Settings(backend="gcp"))


# -- one queue per stage ------------------------------------------------------------------------

BASE = "projects/proj-1/locations/europe-west1/queues"
PER_STAGE = {s.value: f"trendreel-{s.value.replace('_', '-')}" for s in Stage}


def per_stage_queue(client: FakeTasksClient, **kwargs: Any) -> CloudTasksQueue:
    for name in PER_STAGE.values():
        client.queues[f"{BASE}/{name}"] = tasks_v2.Queue(name=f"{BASE}/{name}")
    return CloudTasksQueue(
        client,
        project="proj-1",
        location="europe-west1",
        queue="stages",
        url_for=url_for,
        service_account=SA,
        max_attempts=5,
        clock=lambda: NOW,
        queues=PER_STAGE,
        **kwargs,
    )


@pytest.mark.parametrize("stage", list(Stage))
def test_each_stage_is_enqueued_on_its_own_queue(client: FakeTasksClient, stage: Stage) -> None:
    queue = per_stage_queue(client)
    task = payload(stage)
    name = queue.enqueue(task, task_name=task_name(task))

    created = f"{BASE}/{PER_STAGE[stage.value]}/tasks/{name}"
    assert list(client.tasks) == [created]
    assert queue.pending(name)  # the queue is found from the deterministic name
    client.finish(created)
    assert not queue.pending(name)


def test_the_dispatch_deadline_follows_stage_timeout_overrides(client: FakeTasksClient) -> None:
    queue = per_stage_queue(client, stage_timeouts={"composition": 120})
    task = payload(Stage.COMPOSITION)
    queue.enqueue(task, task_name=task_name(task))
    (created,) = client.tasks.values()
    assert created.dispatch_deadline == timedelta(seconds=120)


def test_ping_checks_every_stage_queue(client: FakeTasksClient) -> None:
    queue = per_stage_queue(client)
    queue.ping()
    del client.queues[f"{BASE}/trendreel-review"]
    with pytest.raises(QueueNotFoundError, match="trendreel-review"):
        queue.ping()


def test_a_queue_name_cloud_tasks_rejects_is_a_config_error(client: FakeTasksClient) -> None:
    with pytest.raises(ConfigError):
        CloudTasksQueue(
            client, project="proj-1", location="europe-west1", queue="stages", url_for=url_for,
            service_account=SA, max_attempts=5, queues={"review": "bad/name"},
        )  # fmt: skip
