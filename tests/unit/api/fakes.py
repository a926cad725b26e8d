"""In-memory JobStore and TaskQueue for api tests, and builders for jobs in every state.

The store applies each mutation under one lock, which is the guarantee the real stores give with
transactions: two concurrent retries cannot both see a failed job.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trendreel.config import load_default_config
from trendreel.errors import BlobNotFoundError, ConfigError, JobNotFoundError
from trendreel.models import (
    ChosenTopic,
    Job,
    JobError,
    JobStatus,
    Manifest,
    QCCheck,
    QCReport,
    Review,
    ReviewStatus,
    Scene,
    Script,
    Stage,
    StageRun,
    Trigger,
)
from trendreel.models.job import theme_key
from trendreel.models.trends import UsedTopic
from trendreel.ports import BlobStore, Mutation, QueueTask
from trendreel.stages.context import key

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


class FakeJobStore:
    def __init__(self, *, mutation_delay: float = 0.0) -> None:
        self.jobs: dict[str, Job] = {}
        self.list_calls: list[int] = []  # the limit of every list_jobs call
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()
        self._delay = mutation_delay  # widens the window a racing writer would need

    def create(self, job: Job) -> tuple[Job, bool]:
        with self._lock:
            if job.idempotency_key and job.idempotency_key in self._keys:
                return self.jobs[self._keys[job.idempotency_key]], False
            self.jobs[job.id] = job
            if job.idempotency_key:
                self._keys[job.idempotency_key] = job.id
            return job, True

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self.jobs.get(job_id)

    def update(self, job_id: str, mutate: Mutation) -> Job:
        with self._lock:
            current = self.jobs.get(job_id)
            if current is None:
                raise JobNotFoundError(job_id)
            time.sleep(self._delay)
            updated = mutate(current)
            self.jobs[job_id] = updated
            return updated

    def list_jobs(
        self, *, status: JobStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[Job], str | None]:
        if cursor is not None and cursor not in self.jobs:
            raise ValueError(f"invalid cursor {cursor!r}")
        self.list_calls.append(limit)
        with self._lock:
            ordered = sorted(self.jobs.values(), key=lambda j: j.id, reverse=True)
        matching = [
            j
            for j in ordered
            if (status is None or j.status == status) and (cursor is None or j.id < cursor)
        ]
        page = matching[:limit]
        return page, (page[-1].id if len(matching) > limit else None)

    def stuck(self, *, updated_before: datetime, limit: int) -> list[Job]:
        return []

    def publications_due(self, *, due_before: datetime, limit: int) -> list[Job]:
        with self._lock:
            jobs = list(self.jobs.values())
        due = [
            j
            for j in jobs
            if j.publications_due_at is not None and j.publications_due_at <= due_before
        ]
        return sorted(due, key=lambda j: (j.publications_due_at, j.id))[:limit]

    def recent_topics(self, theme: str, *, since: datetime, limit: int) -> list[UsedTopic]:
        with self._lock:
            jobs = list(self.jobs.values())
        on_theme = [j.used_topic() for j in jobs if theme_key(j.theme) == theme_key(theme)]
        used = [u for u in on_theme if u is not None and u.topic.chosen_at >= since]
        return sorted(used, key=lambda u: u.topic.chosen_at, reverse=True)[:limit]

    def ping(self) -> None:
        return None


class BrokenJobStore(FakeJobStore):
    def ping(self) -> None:
        raise ConnectionError("db at postgres://admin:hunter2@db is down")


class FakeTaskQueue:
    name = "fake-queue"

    def __init__(self) -> None:
        self.tasks: dict[str, Any] = {}  # TaskPayload, PublishTask...
        self.delays: dict[str, float] = {}
        self.fail = False

    def enqueue(self, payload: QueueTask, *, task_name: str, delay_seconds: float = 0) -> str:
        if self.fail:
            raise ConnectionError("queue down")
        if task_name not in self.tasks:  # a used name is success, and a no-op
            self.tasks[task_name] = payload
            self.delays[task_name] = delay_seconds
        return f"tasks/{task_name}"

    def pending(self, task_name: str) -> bool:
        return task_name in self.tasks

    def ping(self) -> None:
        return None


def make_job(
    job_id: str,
    *,
    status: JobStatus = JobStatus.PENDING,
    completed: int = 0,
    review: ReviewStatus | None = None,
    created: datetime = NOW,
) -> Job:
    """A job with the first ``completed`` stages done; failed jobs fail in the next stage."""
    stages = list(Stage)[:completed]
    runs = {
        s: StageRun(attempts=1, started_at=created, finished_at=created + timedelta(seconds=2))
        for s in stages
    }
    job = Job(
        id=job_id,
        status=status,
        stage=stages[-1].value if stages else "initialization",
        completed_stages=stages,
        theme="everyday tech tips",
        config=load_default_config(),
        trigger=Trigger.CLIENT,
        stages=runs,
        artifacts={
            s: {"result": f"file:///blobs/jobs/{job_id}/{s.value}/result.json"} for s in stages
        },
        created_at=created,
        updated_at=created + timedelta(minutes=1),
    )
    if status == JobStatus.FAILED:
        failing = list(Stage)[completed]
        error = JobError(
            stage=failing.value, code="media_error", message="ffmpeg exited 1", retryable=False,
            attempt=1, hint="see logs",
        )  # fmt: skip
        job = job.model_copy(
            update={"stage": failing.value, "error": error, "error_message": "boom"}
        )
    if review is not None:
        job = job.model_copy(update={"review": Review(status=review)})
    return job


def finished_job(job_id: str, review: ReviewStatus = ReviewStatus.GENERATED) -> Job:
    return make_job(job_id, status=JobStatus.COMPLETED, completed=len(Stage), review=review)


def store_video(blobs: BlobStore, job_id: str, video: bytes) -> None:
    """What composition and review leave behind: the video, a thumbnail and the manifest."""
    blobs.put_bytes(key(job_id, Stage.COMPOSITION, "video.mp4"), video, "video/mp4")
    blobs.put_bytes(key(job_id, Stage.COMPOSITION, "thumbnail.jpg"), b"\xff\xd8thumb", "image/jpeg")
    script = Script(
        title="Three tricks for faster phones",
        hook="Your phone is slow?",
        scenes=[Scene(index=0, narration="clear the cache", visual_intent="hook")],
        call_to_action="follow for more",
        description="tips",
        hashtags=["#tech"],
        target_seconds=20,
    )
    topic = ChosenTopic(
        label="phone speed", keywords=["phone"], hashtags=["#tech"], reason="rising fast",
        supporting_items=[], supporting_titles=[],
    )  # fmt: skip
    qc = QCReport(
        file_key=key(job_id, Stage.COMPOSITION, "video.mp4"),
        passed=True,
        checks=[
            QCCheck(name="resolution", passed=True, measured="1080x1920", expected="1080x1920")
        ],
    )
    manifest = Manifest(
        job_id=job_id, created_at=NOW, inputs={}, chosen_topic=topic.model_dump(),
        script=script.model_dump(), word_timings=[], assets=[], provider_calls=[],
        estimated_cost_usd=0.0123, stage_timings=[], qc=qc, outputs={},
    )  # fmt: skip
    blobs.put_bytes(key(job_id, Stage.REVIEW, "manifest.json"), manifest.model_dump_json().encode())


class SigningBlobStore:
    """A bucket-like blob store: no local paths, but it signs its own URLs (as GcsBlobStore)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.can_sign = True

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        self.objects[key] = data
        return self.uri(key)

    def get_bytes(self, key: str) -> bytes:
        if key not in self.objects:
            raise BlobNotFoundError(key)
        return self.objects[key]

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> str:
        return self.put_bytes(key, path.read_bytes(), content_type)

    def get_file(self, key: str, path: Path) -> Path:
        path.write_bytes(self.get_bytes(key))
        return path

    def exists(self, key: str) -> bool:
        return key in self.objects

    def delete_prefix(self, prefix: str) -> int:
        doomed = [k for k in self.objects if k.startswith(prefix)]
        for k in doomed:
            del self.objects[k]
        return len(doomed)

    def list(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def uri(self, key: str) -> str:
        return f"gs://bucket/{key}"

    def signed_url(self, key: str, ttl_seconds: int) -> str:
        if not self.can_sign:
            raise ConfigError("cannot sign URLs: credentials cannot sign", field="credentials")
        return f"https://storage.example/bucket/{key}?X-Goog-Expires={ttl_seconds}"
