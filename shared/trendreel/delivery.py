"""A task delivery as the stage function received it, and what to answer the queue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from trendreel.models import TaskPayload

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class TaskDelivery(Generic[T]):
    """One delivery of a task whose body is a ``T`` (a stage's TaskPayload, a PublishTask...)."""

    payload: T
    task_name: str = ""
    retry_count: int = 0  # X-CloudTasks-TaskRetryCount: earlier attempts
    execution_count: int = 0
    queue_name: str = ""
    holder: str = field(default_factory=lambda: uuid.uuid4().hex)


#: A stage task's delivery.
Delivery = TaskDelivery[TaskPayload]


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    retry_after: int | None = None
