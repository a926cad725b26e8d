"""A task delivery as the stage function received it, and what to answer the queue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from trendreel.models import TaskPayload


@dataclass(frozen=True)
class Delivery:
    payload: TaskPayload
    task_name: str = ""
    retry_count: int = 0  # X-CloudTasks-TaskRetryCount: earlier attempts
    execution_count: int = 0
    queue_name: str = ""
    holder: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    retry_after: int | None = None
