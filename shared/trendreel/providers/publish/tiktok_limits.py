"""TikTok's per-token request limits, respected before sending rather than discovered by a 429.

Each Content Posting endpoint documents its own limit per user access token: creator_info/query
20 a minute, video/init 6, status/fetch 30
(https://developers.tiktok.com/doc/content-posting-api-reference-direct-post,
https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status); video/query
600 (https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit). TikTok counts "based on a one
minute sliding window", and past it answers HTTP 429 ``rate_limit_exceeded``.

One limiter serves one connected account. It counts per endpoint, not per token string: a
refreshed token belongs to the same user, so starting its count from zero would only invite 429s.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping

#: Requests per minute per user access token, by endpoint key (see the module docstring).
LIMITS_PER_MINUTE: Mapping[str, int] = {
    "creator_info": 20,
    "video_init": 6,
    "status_fetch": 30,
    "video_query": 600,
}
WINDOW_SECONDS = 60.0
#: A request is stamped here before it leaves and at TikTok when it arrives, a little later;
#: waiting this much past the window keeps the two windows from disagreeing at their edge.
MARGIN_SECONDS = 1.0


class SlidingWindowLimiter:
    """Waits (with the injected ``sleep``) until a request fits its endpoint's window."""

    def __init__(
        self,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        limits: Mapping[str, int] = LIMITS_PER_MINUTE,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._limits = dict(limits)
        self._sent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, all endpoints

    def acquire(self, endpoint: str) -> None:
        """Returns once a request to ``endpoint`` may be sent, and counts it as sent."""
        limit = self._limits.get(endpoint)
        if limit is None:
            return
        while True:
            with self._lock:
                wait = self._wait_or_take(endpoint, limit)
            if wait <= 0:
                return
            self.waited += wait
            self._sleep(wait)

    def _wait_or_take(self, endpoint: str, limit: int) -> float:
        now = self._clock()
        sent = self._sent.setdefault(endpoint, deque())
        while sent and sent[0] <= now - WINDOW_SECONDS:
            sent.popleft()
        if len(sent) < limit:
            sent.append(now)
            return 0.0
        return sent[0] + WINDOW_SECONDS + MARGIN_SECONDS - now
