"""Ports: the interfaces stages and media code depend on. Adapters implement them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from trendreel.models import Job, JobStatus
from trendreel.models.trends import UsedTopic

#: A transactional mutation: gets the current job, returns the new one (or raises to abort).
Mutation = Callable[[Job], Job]


class BlobStore(Protocol):
    """Media and stage outputs, addressed by key (``jobs/{job_id}/{stage}/...``).

    Writes to an existing key overwrite it, so a rerun of a stage replaces its outputs instead of
    duplicating them.
    """

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        """Store ``data`` at ``key``; return the object's URI."""
        ...

    def get_bytes(self, key: str) -> bytes:
        """Return the object at ``key``; raise BlobNotFoundError if absent."""
        ...

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> str:
        """Upload a local file (streamed, not read into memory); return the URI."""
        ...

    def get_file(self, key: str, path: Path) -> Path:
        """Download the object to ``path`` (streamed); raise BlobNotFoundError if absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; return how many were deleted."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix``, sorted."""
        ...

    def uri(self, key: str) -> str: ...


class TopicHistory(Protocol):
    """The topics earlier jobs chose, read-only: what trend analysis needs to avoid repeats."""

    def recent_topics(self, theme: str, *, since: datetime, limit: int) -> list[UsedTopic]:
        """Topics chosen at or after ``since`` by jobs on ``theme`` (compared as
        ``models.job.theme_key`` does: case and spacing aside), newest first, at most
        ``limit``; cost proportional to ``limit``."""
        ...


class JobStore(TopicHistory, Protocol):
    """Job documents. ``update`` is the one way state changes: a transaction that reads the job,
    applies ``mutate`` and writes the result, retried by the backend on contention. Every claim,
    completion, failure, retry and review is a pure function handed to it."""

    def create(self, job: Job) -> tuple[Job, bool]:
        """Insert ``job``; if its idempotency key is already used, return that job instead.
        Returns (job, created)."""
        ...

    def get(self, job_id: str) -> Job | None: ...

    def update(self, job_id: str, mutate: Mutation) -> Job:
        """Raise JobNotFoundError if absent; whatever ``mutate`` raises aborts the write."""
        ...

    def list_jobs(
        self, *, status: JobStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[Job], str | None]:
        """Newest first (ids are time-sortable); cost proportional to ``limit``."""
        ...

    def stuck(self, *, updated_before: datetime, limit: int) -> list[Job]:
        """Pending or running jobs not updated since ``updated_before`` (for the sweeper)."""
        ...

    def publications_due(self, *, due_before: datetime, limit: int) -> list[Job]:
        """Jobs with a publication that needs a look at or before ``due_before`` (a metrics
        reading, a queued post to re-drive: ``Job.publications_due_at``), earliest first; cost
        proportional to ``limit``."""
        ...

    def ping(self) -> None:
        """Raise if the store cannot be reached (health check)."""
        ...


class QueueTask(Protocol):
    """What a task carries (a stage's ``TaskPayload``, a ``PublishTask``): a JSON body for the
    function it names."""

    @property
    def function(self) -> str: ...

    @property
    def defer(self) -> int: ...

    def model_dump_json(self) -> str: ...


class TaskQueue(Protocol):
    """Tasks delivered over HTTP to a function, at least once, with the queue's retry policy."""

    name: str

    def enqueue(self, payload: QueueTask, *, task_name: str, delay_seconds: float = 0) -> str:
        """Create a named task for ``payload.function``; a name already used is success (the
        duplicate is dropped). Returns the task id."""
        ...

    def pending(self, task_name: str) -> bool:
        """Whether the named task is still queued or being delivered."""
        ...

    def ping(self) -> None: ...
