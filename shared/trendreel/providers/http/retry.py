"""When a failed call is tried again, and how long the policy waits first.

Waits follow truncated exponential backoff with jitter, as Google recommends for its APIs
(https://cloud.google.com/iam/docs/retry-strategy, https://cloud.google.com/storage/docs/retry-strategy):
retry ``n`` waits ``min(base * 2**n, MAX_BACKOFF_SECONDS)`` stretched by a random factor in
``[1, 1 + JITTER)``, so clients that failed together do not come back together and no wait is
shorter than the schedule.

A ``Retry-After`` header (RFC 9110 §10.2.3, https://www.rfc-editor.org/rfc/rfc9110#field.retry-after:
``delay-seconds`` or an ``HTTP-date``) replaces the backoff for that retry. A wait longer than
``MAX_RETRY_AFTER_SECONDS`` is not slept inside one call (a stage has a dispatch deadline, and
a retry before the service's own date only burns budget): the call fails at once with a
retryable error that names the wait, and the task queue's backoff brings the work back later.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

MAX_RETRY_AFTER_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 32.0
JITTER = 0.25


@dataclass(frozen=True)
class Backoff:
    """The wait before each retry. ``fraction`` returns a number in [0, 1): inject a seeded
    ``random.Random(n).random`` (or a constant) to make the waits reproducible."""

    base: float
    cap: float = MAX_BACKOFF_SECONDS
    jitter: float = JITTER
    fraction: Callable[[], float] = field(default=random.random, repr=False)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first)."""
        planned = min(self.base * 2.0**retry, self.cap)
        return planned * (1.0 + self.jitter * self.fraction())

    def window(self, retry: int) -> tuple[float, float]:
        """The least and (exclusive) most ``delay(retry)`` can be."""
        planned = min(self.base * 2.0**retry, self.cap)
        return planned, planned * (1.0 + self.jitter)


def retry_after(response: httpx.Response, now: datetime) -> float | None:
    """Seconds the response asks us to wait, from either form of ``Retry-After``; None when
    it has none or an unreadable one. A date in the past means now (0)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return _until(value, now)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)
