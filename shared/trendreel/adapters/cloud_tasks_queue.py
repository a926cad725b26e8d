"""TaskQueue on Cloud Tasks: each stage task is an HTTP POST to that stage's function.

A task carries the payload as its JSON body and, when a service account is configured, an OIDC
token for it with the function's URL as audience (Cloud Run checks it). Its dispatch deadline is
the stage's timeout, clamped to what Cloud Tasks allows (15 s to 30 min): a longer stage is
redelivered while still running, and the runner's lease answers that copy with 429.

Task names are deterministic (``trendreel.tasks.task_name``), so ALREADY_EXISTS means this task
was created before (or within about an hour of finishing) and counts as success. That also
makes ``create_task`` safe to retry on transient errors, which the client does not do by default.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from google.api_core.exceptions import (
    AlreadyExists,
    DeadlineExceeded,
    NotFound,
    ServiceUnavailable,
)
from google.api_core.retry import Retry, if_exception_type
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import tasks_v2

from trendreel.adapters.gcp_errors import GOOGLE_ERRORS, missing_credentials, translate
from trendreel.errors import ConfigError, TrendreelError
from trendreel.models.webhooks import WEBHOOKS
from trendreel.ports import QueueTask
from trendreel.settings import Settings
from trendreel.tasks import TASK_FUNCTIONS, function_in, timeout_seconds

log = logging.getLogger(__name__)

SERVICE = "cloud_tasks"
EMULATOR_ENV = "CLOUD_TASKS_EMULATOR_HOST"  # host:port of gcloud-tasks-emulator (tests only)
MIN_DISPATCH_DEADLINE = 15  # seconds, Cloud Tasks' limits for HTTP targets
MAX_DISPATCH_DEADLINE = 30 * 60
CALL_TIMEOUT = 30.0
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
_AUTH_HINT = (
    "The runtime service account needs roles/cloudtasks.enqueuer on the queue and "
    "roles/iam.serviceAccountUser on the tasks service account."
)
# Names are deterministic, so a create that may have landed can be sent again: a duplicate
# comes back as ALREADY_EXISTS, which is success.
_CREATE_RETRY = Retry(
    predicate=if_exception_type(ServiceUnavailable, DeadlineExceeded),
    initial=0.2,
    maximum=5.0,
    timeout=60.0,
)


class TasksClient(Protocol):
    """The three CloudTasksClient methods the queue uses (a fake implements just these)."""

    def create_task(
        self, *, parent: str, task: tasks_v2.Task, retry: Retry, timeout: float
    ) -> tasks_v2.Task: ...

    def get_task(self, *, name: str, timeout: float) -> tasks_v2.Task: ...

    def get_queue(self, *, name: str, timeout: float) -> tasks_v2.Queue: ...


class QueueNotFoundError(TrendreelError):
    code = "queue_not_found"
    hint = "Create the queue (infra/) or fix TRENDREEL_GCP_PROJECT / _GCP_LOCATION / _QUEUE_NAME."


def dispatch_deadline(timeout_seconds: int) -> timedelta:
    """How long Cloud Tasks waits for a stage's answer: its timeout, within the API's limits."""
    return timedelta(
        seconds=min(max(timeout_seconds, MIN_DISPATCH_DEADLINE), MAX_DISPATCH_DEADLINE)
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CloudTasksQueue:
    def __init__(
        self,
        client: TasksClient,
        *,
        project: str,
        location: str,
        queue: str,
        url_for: Callable[[str], str],
        service_account: str | None,
        max_attempts: int,
        clock: Callable[[], datetime] = _utc_now,
        queues: Mapping[str, str] | None = None,
        stage_timeouts: Mapping[str, int] | None = None,
    ) -> None:
        for field, value in (("gcp_project", project), ("gcp_location", location)):
            if not value or "/" in value:
                raise ConfigError(f"invalid {field} {value!r}", field=field)
        # One queue per function (infra/ creates them; TRENDREEL_QUEUE_NAMES maps a stage or
        # publish -> queue id), each with its own retry policy and rate; functions not in the
        # map use ``queue``.
        names = {fn: (queues or {}).get(fn, queue) for fn in TASK_FUNCTIONS}
        for name in {queue, *names.values()}:
            if not _TASK_ID.match(name):
                raise ConfigError(f"invalid Cloud Tasks queue name {name!r}", field="queue_name")
        self.name = queue
        base = f"projects/{project}/locations/{location}/queues"
        self.path = f"{base}/{queue}"
        self.paths = {fn: f"{base}/{name}" for fn, name in names.items()}
        self._stage_timeouts = dict(stage_timeouts or {})
        self.max_attempts = max_attempts
        self._client = client
        self._url_for = url_for
        self._service_account = service_account or None
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> CloudTasksQueue:
        """Application Default Credentials; CLOUD_TASKS_EMULATOR_HOST switches to the emulator."""
        if not settings.gcp_project:
            raise ConfigError("TRENDREEL_GCP_PROJECT is not set", field="gcp_project")
        return cls(
            _client_from_environment(),
            project=settings.gcp_project,
            location=settings.gcp_location,
            queue=settings.queue_name,
            url_for=settings.function_url,
            service_account=settings.tasks_service_account,
            max_attempts=settings.task_max_attempts,
            queues=settings.queue_names,
            stage_timeouts=settings.stage_timeouts,
        )

    def __repr__(self) -> str:
        return f"CloudTasksQueue({self.path!r})"

    def task_path(self, task_name: str, function: str | None = None) -> str:
        """``{queue path}/tasks/{task_name}``; a full task path is accepted too. The queue is
        the function's: given, or read from the deterministic name (``tasks.function_in``)."""
        if isinstance(task_name, str) and "/tasks/" in task_name:
            queue_path, _, task_name = task_name.rpartition("/tasks/")
            if queue_path not in {self.path, *self.paths.values()}:
                raise ConfigError(f"task {task_name!r} is not in this queue", field="task_name")
        if not isinstance(task_name, str) or not _TASK_ID.match(task_name):
            raise ConfigError(
                f"invalid task name {task_name!r}: letters, digits, '-' and '_', at most 500",
                field="task_name",
            )
        function = function or function_in(task_name)
        path = self.paths.get(function or "", self.path)
        return f"{path}/tasks/{task_name}"

    def build_task(
        self, payload: QueueTask, *, task_name: str, delay_seconds: float
    ) -> tasks_v2.Task:
        url = self._url_for(payload.function)
        request = tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=url,
            headers={"Content-Type": "application/json"},
            body=payload.model_dump_json().encode(),
        )
        if self._service_account:
            request.oidc_token = tasks_v2.OidcToken(
                service_account_email=self._service_account, audience=url
            )
        timeout = timeout_seconds(payload.function, self._stage_timeouts)
        task = tasks_v2.Task(
            name=self.task_path(task_name, payload.function),
            http_request=request,
            dispatch_deadline=dispatch_deadline(int(timeout)),
        )
        if delay_seconds > 0:
            task.schedule_time = self._clock() + timedelta(seconds=delay_seconds)
        return task

    # -- TaskQueue -----------------------------------------------------------------------------

    def enqueue(self, payload: QueueTask, *, task_name: str, delay_seconds: float = 0) -> str:
        """Create the task; returns its id (``task_name``), also when it already existed."""
        task = self.build_task(payload, task_name=task_name, delay_seconds=delay_seconds)
        try:
            self._client.create_task(
                parent=self.paths[payload.function],
                task=task,
                retry=_CREATE_RETRY,
                timeout=CALL_TIMEOUT,
            )
        except AlreadyExists:
            log.info("task %s already exists: duplicate enqueue dropped", task.name)
        except NotFound as exc:
            raise self._no_queue(exc) from exc
        except GOOGLE_ERRORS as exc:
            raise translate(SERVICE, f"create task {task.name}", exc, auth_hint=_AUTH_HINT) from exc
        return task.name.rsplit("/", 1)[-1]  # the task id, as pending() takes it

    def pending(self, task_name: str) -> bool:
        """A task exists until it succeeds or runs out of attempts, then Cloud Tasks drops it."""
        name = self.task_path(task_name)
        try:
            self._client.get_task(name=name, timeout=CALL_TIMEOUT)
        except NotFound:
            return False
        except GOOGLE_ERRORS as exc:
            raise translate(SERVICE, f"get task {name}", exc, auth_hint=_AUTH_HINT) from exc
        return True

    def ping(self) -> None:
        # The webhooks queue retries far longer (a receiver down for hours still gets its
        # events) and its function reads its own budget: only existence is checked there.
        checked = {path for fn, path in self.paths.items() if fn != WEBHOOKS}
        for path in sorted(set(self.paths.values())):
            self._ping_one(path, compare_attempts=path in checked)

    def _ping_one(self, path: str, *, compare_attempts: bool = True) -> None:
        try:
            queue = self._client.get_queue(name=path, timeout=CALL_TIMEOUT)
        except NotFound as exc:
            raise self._no_queue(exc, path) from exc
        except GOOGLE_ERRORS as exc:
            raise translate(SERVICE, f"get queue {path}", exc, auth_hint=_AUTH_HINT) from exc
        configured = queue.retry_config.max_attempts
        if compare_attempts and configured and configured != self.max_attempts:
            # The runner treats attempt max_attempts as the last one and records the failure;
            # a queue allowing fewer attempts drops tasks before that happens.
            log.warning(
                "queue %s allows %d attempts but TRENDREEL_TASK_MAX_ATTEMPTS is %d",
                path,
                configured,
                self.max_attempts,
            )

    def _no_queue(self, exc: NotFound, path: str | None = None) -> QueueNotFoundError:
        where = path or self.path
        return QueueNotFoundError(f"Cloud Tasks queue {where} not found ({exc.message})")


def _client_from_environment() -> tasks_v2.CloudTasksClient:
    host = os.environ.get(EMULATOR_ENV)
    if host:
        import grpc  # type: ignore[import-untyped]
        from google.cloud.tasks_v2.services.cloud_tasks.transports import (
            CloudTasksGrpcTransport,
        )

        channel = grpc.insecure_channel(host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    try:
        return tasks_v2.CloudTasksClient()
    except DefaultCredentialsError as exc:
        raise missing_credentials(SERVICE, exc) from exc
