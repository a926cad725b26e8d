"""One delivery of a local task over HTTP, and the retry policy: the parts of the local queue that
do not touch SQLite.

The retry policy mirrors Cloud Tasks' ``RetryConfig``:

    Cloud Tasks      settings                     here
    maxAttempts      task_max_attempts            dispatches (first one included) before exhausted
    minBackoff       queue_min_backoff_seconds    the wait after the first failed attempt
    maxBackoff       queue_max_backoff_seconds    no wait is ever longer
    maxDoublings     queue_max_doublings          how many times the wait doubles

and the wait after the n-th failed attempt follows Cloud Tasks' own rule (RetryConfig reference,
https://cloud.google.com/tasks/docs/reference/rest/v2/RetryConfig, maxDoublings: "A task's retry
interval starts at min_backoff, then doubles max_doublings times, then increases linearly, and
finally retries at intervals of max_backoff up to max_attempts times"; with 10 s, 300 s and 3
doublings: 10, 20, 40, 80, 160, 240, 300, 300 s). The defaults (10 s, 300 s, 4 doublings, 10
attempts) wait 10, 20, 40, 80, 160, 300, 300, 300, 300 s: 25 minutes before the last attempt. A
``Retry-After`` on the response (429/503 from a busy stage) lengthens the wait, never shortens it.

Any 2xx finishes the task; every other status, a timeout and a connection error are failures.
The delivery's HTTP timeout is the stage's dispatch deadline (Cloud Tasks' dispatchDeadline).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

#: A Retry-After longer than this is treated as this (a stage never asks for more than its lease).
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
USER_AGENT = "Google-Cloud-Tasks"  # what Cloud Tasks sends; stage functions may log it


def backoff_seconds(
    attempts: int, *, min_backoff: float, max_backoff: float, max_doublings: int
) -> float:
    """The wait after the ``attempts``-th failed dispatch (1 for the first failure): doubling
    ``max_doublings`` times, then growing by ``min_backoff * 2 ** max_doublings`` per attempt."""
    retries = max(attempts - 1, 0)
    if retries <= max_doublings:
        wait = min_backoff * 2**retries
    else:
        step = min_backoff * 2**max_doublings
        wait = step + (retries - max_doublings) * step
    return float(min(max_backoff, wait))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or
    unusable."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


@dataclass(frozen=True)
class Attempt:
    """What one dispatch sends: the task's name, body and counters before this attempt."""

    name: str
    body: bytes
    url: str
    retry_count: int  # dispatches made before this one
    execution_count: int  # dispatches that got an HTTP response before this one
    eta: float  # when the task was due (epoch seconds)
    deadline: float  # seconds: HTTP timeout for this dispatch


@dataclass(frozen=True)
class Result:
    """What came back: a status (and Retry-After) if the target answered, else an error."""

    status: int | None = None
    retry_after: str | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def responded(self) -> bool:
        return self.status is not None

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else (self.error or "no response")


def headers(attempt: Attempt, *, queue_name: str, auth_token: str | None) -> dict[str, str]:
    out = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CloudTasks-QueueName": queue_name,
        "X-CloudTasks-TaskName": attempt.name,
        "X-CloudTasks-TaskRetryCount": str(attempt.retry_count),
        "X-CloudTasks-TaskExecutionCount": str(attempt.execution_count),
        "X-CloudTasks-TaskETA": f"{attempt.eta:.6f}",
    }
    if auth_token:
        out["Authorization"] = f"Bearer {auth_token}"
    return out


def deliver(
    client: httpx.Client, attempt: Attempt, *, queue_name: str, auth_token: str | None
) -> Result:
    """POST the task to its stage function. Never raises for transport problems: a timeout or a
    refused connection is a failed attempt like any non-2xx answer."""
    try:
        response = client.post(
            attempt.url,
            content=attempt.body,
            headers=headers(attempt, queue_name=queue_name, auth_token=auth_token),
            timeout=httpx.Timeout(attempt.deadline),
        )
    except httpx.TimeoutException as exc:
        return Result(error=f"deadline of {attempt.deadline:g}s exceeded ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        # The message of a transport error names the URL at most, never the request headers.
        return Result(error=f"{type(exc).__name__}: {exc}"[:500])
    return Result(status=response.status_code, retry_after=response.headers.get("Retry-After"))
