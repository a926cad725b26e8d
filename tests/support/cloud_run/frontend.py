"""The HTTP side of the edge: one server per port, and the handler that admits, spools,
forwards and relays each request (``Edge`` is what it asks of ``CloudRunEdge``)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from tests.support.cloud_run.answers import RejectError, error_page
from tests.support.cloud_run.body import drain, spool_body
from tests.support.cloud_run.exchange import Exchange, Forward
from tests.support.cloud_run.headers import NOT_RETURNED, SERVER, RequestHeaders
from tests.support.cloud_run.instances import NoInstanceError
from tests.support.cloud_run.processes import InstanceStartError
from tests.support.cloud_run.spec import ServiceSpec


class Edge(Protocol):
    @property
    def spec(self) -> ServiceSpec: ...

    def admit(self, headers: Mapping[str, str], *, external: bool) -> None: ...

    def forwarded_headers(
        self, headers: Iterable[tuple[str, str]], *, client: str
    ) -> list[tuple[str, str]]: ...

    def exchange(self, forward: Forward, *, deadline: float) -> Exchange: ...


class EdgeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # a port in use is an error, not a silent second listener

    def __init__(self, address: tuple[str, int], edge: Edge, *, external: bool) -> None:
        super().__init__(address, _Handler)
        self.edge = edge
        self.external = external


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EdgeServer

    def version_string(self) -> str:
        """``Google Frontend`` in place of the instance's ``Server`` header: what Cloud Run
        responses carry as observed (e.g. GoogleCloudPlatform/esp-v2#430; not in the docs)."""
        return SERVER

    def log_message(self, format: str, *args: object) -> None:
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def _serve(self) -> None:
        edge = self.server.edge
        started = time.monotonic()
        headers = RequestHeaders(self.headers.items())
        try:
            edge.admit(headers, external=self.server.external)
            body, length = spool_body(self.rfile, headers)
        except RejectError as rejected:
            read = rejected.body_read
            self._answer(
                rejected.status, keep_alive=drain(self.rfile, headers) if read is None else read
            )
            return
        except ValueError:  # a Content-Length or chunk size that is not a number
            self._answer(400, keep_alive=False)
            return
        client = self.client_address[0]
        forward = Forward(
            self.command,
            self.path,
            edge.forwarded_headers(self.headers.items(), client=client),
            body,
            length,
        )
        self._relay(forward, deadline=started + edge.spec.timeout_seconds)

    def _relay(self, forward: Forward, *, deadline: float) -> None:
        """Forward, then answer with the instance's response or the edge's own status.

        Request timeout: https://cloud.google.com/run/docs/configuring/request-timeout "If your
        service doesn't respond within this limit, Cloud Run closes the network connection and
        returns an HTTP 504 error"; the caller gets 504 at ``spec.timeout_seconds`` and the
        upstream request runs on to completion (see ``Exchange``).

        From https://cloud.google.com/run/docs/troubleshooting: an instance that cannot start
        gives "HTTP 500 The request failed because the instance could not start successfully.";
        a request that found no free instance before its deadline is aborted with 429 "The
        request was aborted because there was no available instance"; a request whose
        connection to the instance fails, as when the instance crashes mid-request, gets "HTTP
        503 The request failed because either the HTTP response was malformed or connection to
        the instance had an error" (the next request starts a new one: ``InstancePool``)."""
        try:
            exchange = self.server.edge.exchange(forward, deadline=deadline)
        except (NoInstanceError, InstanceStartError, TimeoutError) as exc:
            forward.body.close()
            status = {NoInstanceError: 429, InstanceStartError: 500}.get(type(exc), 504)
            self._answer(status, keep_alive=status != 504)
            return
        kind, value = exchange.next_event(deadline)
        if kind == "timeout":
            self._answer(504, keep_alive=False)
        elif kind == "error":
            self._answer(503, keep_alive=False)
        else:
            self._stream(exchange, value, deadline=deadline)

    def _stream(self, exchange: Exchange, head: Any, *, deadline: float) -> None:
        """The response streams back chunk by chunk, hop-by-hop headers and the instance's
        ``Server`` and ``Date`` left out. A response already streaming when the time runs out
        is cut off (its status was already sent)."""
        status, reason, upstream_headers = head
        bodiless = self.command == "HEAD" or status in (204, 304) or status < 200
        chunked = not bodiless and all(k.lower() != "content-length" for k, _ in upstream_headers)
        self.send_response(status, reason)
        for name, value in upstream_headers:
            if name.lower() not in NOT_RETURNED:
                self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while True:
            kind, value = exchange.next_event(deadline)
            if kind == "data" and not bodiless:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(value), value) if chunked else value)
            elif kind == "end":
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
                return
            elif kind in ("timeout", "error"):
                self.close_connection = True  # the status is out: all we can do is hang up
                return

    def _answer(self, status: int, *, keep_alive: bool = True) -> None:
        page = error_page(status, self.path)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(page)))
        if not keep_alive:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page)
