"""One request from the edge to the instance, on a thread of its own."""

from __future__ import annotations

import contextlib
import http.client
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from tests.support.cloud_run.body import CHUNK
from tests.support.cloud_run.processes import HOST


@dataclass(frozen=True)
class Forward:
    """A request as the instance receives it."""

    method: str
    target: str  # path and query, as sent
    headers: list[tuple[str, str]]
    body: IO[bytes]
    length: int


class Exchange(threading.Thread):
    """One request to the instance; its response comes back as events on a bounded queue
    (chunk by chunk). When the edge gives up (504) the exchange carries on and discards the
    rest, so the instance finishes the request as it would on Cloud Run:
    https://cloud.google.com/run/docs/configuring/request-timeout "Closing the connection
    doesn't terminate the container instance. The container might continue processing the
    aborted request", and https://cloud.google.com/run/docs/troubleshooting "When you use
    HTTP/1.1 on Cloud Run, client disconnect events are not propagated to the Cloud Run
    container"."""

    def __init__(self, forward: Forward, port: int, *, release: Callable[[], None]) -> None:
        super().__init__(daemon=True, name=f"edge-exchange-{port}")
        self.forward = forward
        self.port = port
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=16)
        self.abandoned = threading.Event()
        self.finished = threading.Event()
        self._release = release

    def run(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port)  # no timeout: the instance decides
        try:
            response = self._send(conn)
            self._put("head", (response.status, response.reason, response.getheaders()))
            while chunk := response.read1(CHUNK) if not response.isclosed() else b"":
                self._put("data", chunk)
            self._put("end", None)
        except (OSError, http.client.HTTPException) as exc:
            self._put("error", exc)
        finally:
            conn.close()
            self.forward.body.close()
            self._release()
            self.finished.set()

    def _send(self, conn: http.client.HTTPConnection) -> http.client.HTTPResponse:
        """Method, path, query and body as sent; the Host header as sent (among the
        forwarded headers)."""
        f = self.forward
        conn.putrequest(f.method, f.target, skip_host=True, skip_accept_encoding=True)
        for name, value in f.headers:
            conn.putheader(name, value)
        if f.length or f.method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            conn.putheader("Content-Length", str(f.length))
        conn.endheaders()
        while chunk := f.body.read(CHUNK):
            conn.send(chunk)
        return conn.getresponse()

    def _put(self, kind: str, value: object) -> None:
        while not self.abandoned.is_set():
            with contextlib.suppress(queue.Full):
                self.events.put((kind, value), timeout=0.2)
                return

    def next_event(self, deadline: float) -> tuple[str, Any]:
        """The next event, or ("timeout", None) once ``deadline`` has passed."""
        try:
            return self.events.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            self.abandoned.set()
            return "timeout", None
