"""How long one attempt may take: connecting is bounded separately from waiting for an answer.

A service that does not accept a connection within ``CONNECT_TIMEOUT_SECONDS`` is down or
unreachable, and the retry should come sooner than a slow answer's (an Apify synchronous run,
a long Gemini generation) read timeout would allow. Reads, writes and waiting for a pooled
connection get the full timeout.
"""

from __future__ import annotations

import httpx

CONNECT_TIMEOUT_SECONDS = 5.0

#: Seconds for everything but connecting, or an explicit ``httpx.Timeout``.
Timeouts = float | httpx.Timeout


def timeouts(value: Timeouts, connect: float = CONNECT_TIMEOUT_SECONDS) -> httpx.Timeout:
    """``value`` seconds to read, write and wait for the pool; at most ``connect`` (and never
    more than ``value``) to connect. An ``httpx.Timeout`` is taken as it is."""
    if isinstance(value, httpx.Timeout):
        return value
    return httpx.Timeout(value, connect=min(connect, value))
