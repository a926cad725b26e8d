"""A webhook receiver on 127.0.0.1 that does what a careful receiver of signed webhooks does.

Built from the receiving side of the schemes trendreel's signing follows:
- Stripe, https://docs.stripe.com/webhooks/signatures and https://docs.stripe.com/webhooks:
  verify ``t=…,v1=…`` over the raw body before parsing it, reject a timestamp outside the
  tolerance (300 s), answer 2xx quickly, and expect the same event more than once (handle
  duplicates by the event's id);
- GitHub, https://docs.github.com/webhooks/securing: compare HMAC-SHA256 in constant time and
  reject what does not verify.

It verifies every delivery with ``trendreel.webhooks.signing.verify`` (a bad one is answered
400 and counted in ``rejected``), records every verified delivery, can be told to fail the first
``fail_first`` verified deliveries (``fail_status``, 500 by default, with an optional
Retry-After) or answer the first one late (``slow_first``: after the sender gave up, so it sends
it again), and acts on each event id once: ``acted`` holds each event the first time it was
accepted, ``duplicates`` counts accepted deliveries of an id already acted on.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from trendreel.webhooks.errors import WebhookSignatureError
from trendreel.webhooks.signing import EVENT_ID_HEADER, verify

MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class Received:
    """One verified delivery and what the receiver answered."""

    event_id: str
    event_type: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    answered: int
    at: float  # time.monotonic() when it arrived


class WebhookReceiver:
    def __init__(
        self,
        secret: str | None = None,
        *,
        fail_first: int = 0,
        fail_status: int = 500,
        retry_after: str | None = None,
        slow_first: float = 0.0,
        tolerance: float = 300.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.secret = secret  # set it once the endpoint is registered (the secret is made then)
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.retry_after = retry_after
        # The first event acted on is answered this many seconds late: a sender that gave up
        # waiting sends it again, and the receiver must not act on it twice.
        self.slow_first = slow_first
        self._slowed = False
        self.tolerance = tolerance
        self.now = now
        self.received: list[Received] = []
        self.rejected = 0  # deliveries whose signature did not verify
        self.rejections: list[str] = []  # why (WebhookSignatureError.reason)
        self.failed = 0  # verified deliveries answered fail_status on purpose
        self.attempts: Counter[str] = Counter()  # verified deliveries per event id
        self.acted: dict[str, dict[str, Any]] = {}  # event id -> the event, acted on once
        self.duplicates = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def wait_until(self, predicate: Callable[[WebhookReceiver], bool], timeout: float) -> bool:
        """Wait until ``predicate(self)`` holds (checked after each delivery) or ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    # -- receiving -----------------------------------------------------------------------------

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        """What the receiver answers for one POST (and the state it records)."""
        with self._changed:
            try:
                verify(self.secret or "", headers, body, self.tolerance, now=self.now())
                event = json.loads(body)
                if event.get("id") != headers.get(EVENT_ID_HEADER.lower()):
                    raise WebhookSignatureError("mismatch", "header and body name other events")
            except (WebhookSignatureError, ValueError) as exc:
                self.rejected += 1
                self.rejections.append(getattr(exc, "reason", "invalid"))
                self._changed.notify_all()
                return 400
            answer = self._answer_for(event)
            got = Received(event["id"], event["type"], headers, body, answer, time.monotonic())
            self.received.append(got)
            self._changed.notify_all()
            return answer

    def _answer_for(self, event: dict[str, Any]) -> int:
        self.attempts[event["id"]] += 1
        if self.failed < self.fail_first:
            self.failed += 1
            return self.fail_status
        if event["id"] in self.acted:
            self.duplicates += 1  # already acted on: acknowledge, do nothing
        else:
            self.acted[event["id"]] = event
        return 200

    def late_answer(self, status: int) -> float:
        """How long to hold back the answer to this delivery (once, for the first 200)."""
        with self._lock:
            if status != 200 or self._slowed or self.slow_first <= 0:
                return 0.0
            self._slowed = True
            return self.slow_first

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, MAX_BODY))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver.receive(headers, body)
                time.sleep(receiver.late_answer(status))
                self.send_response(status)
                if status == receiver.fail_status and receiver.retry_after:
                    self.send_header("Retry-After", receiver.retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
