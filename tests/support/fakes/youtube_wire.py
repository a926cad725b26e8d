"""The fake YouTube's wire: a ThreadingHTTPServer on 127.0.0.1 handing each request to the fake
as an ``Exchange`` that can read all of the body, part of it, or none, and then answer, or drop
the connection without a word (a network cut, or an answer lost on the way back)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.fakes.youtube_errors import Answer

BLOCK = 64 * 1024


@dataclass(frozen=True)
class Seen:
    """A request the fake received: ``size`` is how many body bytes it read."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    size: int
    body: bytes

    @property
    def content_range(self) -> str | None:
        return self.headers.get("content-range")

    @property
    def first_byte(self) -> int | None:
        """The first byte a chunk PUT carried (None for other requests and status queries)."""
        value = self.content_range
        if value is None or "*" in value:
            return None
        return int(value.split(" ", 1)[1].split("-", 1)[0])


class Exchange:
    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self._handler = handler
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.query = parse_qs(parts.query)
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.length = int(self.headers.get("content-length") or 0)
        self.consumed = 0

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def read(self, limit: int | None = None) -> bytes:
        """Up to ``limit`` more body bytes (default: the rest)."""
        wanted = self.length - self.consumed if limit is None else limit
        wanted = min(wanted, self.length - self.consumed)
        chunks: list[bytes] = []
        while wanted > 0:
            block = self._handler.rfile.read(min(BLOCK, wanted))
            if not block:
                break
            chunks.append(block)
            wanted -= len(block)
            self.consumed += len(block)
        return b"".join(chunks)

    def drain(self) -> None:
        while self.consumed < self.length and self.read(BLOCK):
            pass

    def answer(self, answer: Answer) -> None:
        self.drain()  # an early answer must not leave the client writing into a closed socket
        handler = self._handler
        handler.send_response(answer.status)
        for key, value in answer.headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.end_headers()
        handler.wfile.write(answer.body)

    def drop(self) -> None:
        """Close the connection without answering; unread body bytes make it a reset."""
        self._handler.close_connection = True


class WireServer:
    def __init__(self, app: Callable[[Exchange], None]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(app))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_class(app: Callable[[Exchange], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            app(Exchange(self))

        do_GET = _serve  # noqa: N815
        do_POST = _serve  # noqa: N815
        do_PUT = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
