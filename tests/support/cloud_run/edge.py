"""Cloud Run's front end for one service, on 127.0.0.1, configured only by its ``ServiceSpec``.

    with GoogleIdentity() as google, CloudRunEdge(spec, google, platform_env=env) as edge:
        httpx.post(spec.url, headers=bearer(google.mint(sa, spec.url)))  # in-project caller
        httpx.get(edge.external_url)                                     # from the internet
        edge.kill_instance(); edge.instance_pid(); edge.log_tail()       # crash tests, logs

    edges = start_edges(infra.services.values(), google, platform_env=lambda spec: {...})

``spec.url`` must be ``http://127.0.0.1:PORT`` (with or without a trailing slash): the edge
binds it. ``free_port()`` picks ports before infra is resolved with those URLs.

The edge starts the service's function itself (``functions-framework --source
functions/<name>/main.py --target handle``, see ``InstancePool``) and answers on two ports:
``internal``, the service's URL (``spec.url``, also the ID-token audience), standing for
in-project sources (Cloud Tasks, Cloud Scheduler, other services); and ``external``, the same
service reached from the internet. Each behaviour below cites the documentation it models.

Ingress (https://cloud.google.com/run/docs/securing/ingress): "Internal ... Requests from
other sources, including the internet, cannot reach your service at the run.app URL", and
https://cloud.google.com/run/docs/troubleshooting#404: such a request "doesn't reach the
container, leading to a 404 error" when ingress is Internal or Internal and Cloud Load
Balancing. So INGRESS_TRAFFIC_ALL admits both ports; the other two settings answer 404 on the
external port without forwarding (load balancers are not modelled). The 404 body is not
documented; the one here is a plain Google-style error page.

Invoker check (when ``not spec.invoker_iam_disabled``):
- which header: https://cloud.google.com/run/docs/authenticating/service-to-service "by
  using an Authorization: Bearer ID_TOKEN header or an X-Serverless-Authorization: Bearer
  ID_TOKEN header ... If both headers are provided, only the X-Serverless-Authorization header
  is checked." The other header reaches the container untouched.
- what is forwarded: the same page, "Cloud Run removes the token signature before passing
  the token to the user container", and troubleshooting#signature-removed
  (SIGNATURE_REMOVED_BY_GOOGLE): the checked header arrives as
  ``Bearer HEADER.PAYLOAD.SIGNATURE_REMOVED_BY_GOOGLE``.
- which status: https://cloud.google.com/run/docs/troubleshooting "Client is not
  authenticated properly: HTTP 401: The request was not authorized to invoke this service"
  for a token with the wrong ``aud``, an invalid format, no valid signature, several JWTs or
  several authorization headers; "Client is not authorized to invoke the service: HTTP 403"
  for "Calls missing an auth token" and for a principal without ``run.routes.invoke``
  (roles/run.invoker). Expired tokens are not listed there: an expired token is not a valid
  one, so 401 here. The 401/403 bodies are the HTML pages Cloud Run is seen to return
  ("Error: Unauthorized ... Your client does not have permission to the requested URL",
  "Error: Forbidden ... Your client does not have permission to get URL ... from this
  server"); the docs do not give them. ``aud`` is the service URL with or without its trailing
  slash (custom audiences are not modelled).
With the check off, every header is forwarded as sent.

Request size: https://cloud.google.com/run/quotas, HTTP/1 requests are at most 32 MiB; past it
Cloud Run answers "413 Request Entity Too Large ... Your client issued a request that was too
large" (the page users report). The body is counted while it is spooled to a temporary file
(in memory up to 1 MiB), so the instance never sees an oversized body and memory stays bounded.
Only the body is counted (the docs say "request size").

Request timeout: https://cloud.google.com/run/docs/configuring/request-timeout "If your
service doesn't respond within this limit, Cloud Run closes the network connection and returns
an HTTP 504 error. Closing the connection doesn't terminate the container instance. The
container might continue processing the aborted request"; the container contract adds that the
time includes the instance's startup. The caller gets 504 at ``spec.timeout_seconds`` and the
upstream request runs on to completion (troubleshooting: "When you use HTTP/1.1 on Cloud Run,
client disconnect events are not propagated to the Cloud Run container"). A response already
streaming when the time runs out is cut off (its status was already sent).

Instances, concurrency, crashes: see ``InstancePool``. One instance at most (scaling out is not
modelled); at most ``spec.concurrency`` requests in flight to it; a request that finds it busy
waits, as Cloud Run keeps requests pending while it finds capacity
(https://cloud.google.com/run/docs/about-instance-autoscaling). Because the double cannot scale
out, a pending request waits up to its own timeout (Cloud Run: about 10 s or 3.5 x the startup
time) and is then aborted with 429 "The request was aborted because there was no available
instance" (troubleshooting). A request whose connection to the instance fails, as when the
instance crashes mid-request, gets troubleshooting's "HTTP 503 The request failed because
either the HTTP response was malformed or connection to the instance had an error"; the next
request starts a new instance and waits for it (a cold start). An instance that cannot start
gives "HTTP 500 The request failed because the instance could not start successfully."

Forwarding: method, path, query and body as sent; the Host header as sent; hop-by-hop headers
(RFC 9110 section 7.6.1) stripped both ways; ``X-Forwarded-For`` gets the client address appended
and ``X-Forwarded-Proto`` is the scheme the caller used (``http`` here: on Cloud Run, which
terminates TLS, it is ``https``; the Cloud Run docs retrieved do not describe these two).
``X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`` and ``traceparent`` are added when absent
(https://cloud.google.com/trace/docs/trace-context: Google Cloud services that propagate trace
context support both). Responses stream back chunk by chunk; the instance's ``Server`` header is
replaced by ``Google Frontend`` (what Cloud Run responses carry as observed, e.g.
GoogleCloudPlatform/esp-v2#430; not in the docs).
"""

from __future__ import annotations

import contextlib
import html
import http.client
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from tests.support.cloud_run.identity import GoogleIdentity, InvalidIdTokenError
from tests.support.cloud_run.spec import ServiceSpec

__all__ = [
    "MAX_REQUEST_BYTES",
    "SIGNATURE_REMOVED",
    "CloudRunEdge",
    "InstancePool",
    "InstanceStartError",
    "NoInstanceError",
    "container_env",
    "free_port",
    "instance_env",
    "start_edges",
]

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[3]
MAX_REQUEST_BYTES = 32 * 1024 * 1024  # HTTP/1 request size limit
SIGNATURE_REMOVED = "SIGNATURE_REMOVED_BY_GOOGLE"
SERVER = "Google Frontend"
INGRESS_ALL = "INGRESS_TRAFFIC_ALL"
CHUNK = 64 * 1024
_SPOOL_IN_MEMORY = 1024 * 1024
_DRAIN_LIMIT = 2 * MAX_REQUEST_BYTES  # bodies read and discarded before an error answer
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
_NOT_FORWARDED = _HOP_BY_HOP | {"content-length", "expect"}
_NOT_RETURNED = _HOP_BY_HOP | {"server", "date"}

_MESSAGES = {
    400: ("Bad Request", "Your client has issued a malformed or illegal request."),
    401: ("Unauthorized", "Your client does not have permission to the requested URL {path}."),
    403: ("Forbidden", "Your client does not have permission to get URL {path} from this server."),
    404: ("Not Found", "The requested URL {path} was not found on this server."),
    413: ("Request Entity Too Large", "Your client issued a request that was too large."),
    429: ("Too Many Requests", "The request was aborted because there was no available instance."),
    500: (
        "Internal Server Error",
        "The request failed because the instance could not start successfully.",
    ),
    503: (
        "Service Unavailable",
        "The request failed because either the HTTP response was malformed or connection to "
        "the instance had an error.",
    ),
    504: (
        "Gateway Timeout",
        "The request has been terminated because it has reached the maximum request timeout.",
    ),
}


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


class _RejectError(Exception):
    """An answer from the edge itself; the request is not forwarded. ``body_read`` says
    whether the request body has been read already (True), is still to be drained (None), or
    was left unread and the connection must close (False)."""

    def __init__(self, status: int, *, body_read: bool | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body_read = body_read


@dataclass(frozen=True)
class _Forward:
    method: str
    target: str  # path and query, as sent
    headers: list[tuple[str, str]]
    body: IO[bytes]
    length: int


class CloudRunEdge:
    """Cloud Run's front end for one service, and the service's (single) instance."""

    def __init__(
        self,
        spec: ServiceSpec,
        identity: GoogleIdentity,
        *,
        platform_env: Mapping[str, str] | None = None,
        source: str | Path | None = None,
        repo_root: Path | None = None,
        log_dir: Path | None = None,
        external_port: int = 0,
    ) -> None:
        host, port = _internal_address(spec.url)
        instance_env(spec, 0, platform_env or {})  # refuse a clash before anything is made
        self.spec = spec
        self.identity = identity
        self._own_log_dir = log_dir is None
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix=f"trendreel-edge-{spec.name}-"))
        self.pool = InstancePool(
            spec,
            platform_env=platform_env or {},
            source=source,
            repo_root=repo_root,
            log_dir=self.log_dir,
        )
        self._servers = {
            "internal": _Server((host, port), self, external=False),
            "external": _Server((HOST, external_port), self, external=True),
        }
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> CloudRunEdge:
        """Serve both ports and start the instance (eagerly; returns once it accepts TCP)."""
        try:
            for server in self._servers.values():
                thread = threading.Thread(
                    target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
                )
                thread.start()
                self._threads.append(thread)
            self.pool.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving, then stop every process the edge started, by PID."""
        for server in self._servers.values():
            if self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self.pool.stop()
        if self._own_log_dir:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def __enter__(self) -> CloudRunEdge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what callers use ----------------------------------------------------------------------

    @property
    def internal_url(self) -> str:
        """The service's URL (``spec.url``): in-project callers and the token audience."""
        return self.spec.url

    @property
    def external_url(self) -> str:
        """The same service as the internet reaches it."""
        host, port = self._servers["external"].server_address[:2]
        return f"http://{host!s}:{port}/"

    def instance_url(self) -> str | None:
        """The running instance itself, behind the front end (for tests that look behind it:
        nothing on Cloud Run can reach an instance this way)."""
        port = self.pool.port()
        return f"http://{HOST}:{port}/" if port is not None else None

    def instance_pid(self) -> int | None:
        """The PID of the running instance (the functions-framework master), if any."""
        return self.pool.pid()

    def kill_instance(self) -> None:
        """SIGKILL the instance (master and workers), as a crashing container."""
        self.pool.kill()

    def log_tail(self, lines: int = 40) -> str:
        return self.pool.log_tail(lines)

    # -- one request ---------------------------------------------------------------------------

    def admit(self, headers: Mapping[str, str], *, external: bool) -> None:
        """Ingress and invoker check; raises ``_RejectError`` with the status to answer."""
        if external and self.spec.ingress != INGRESS_ALL:
            raise _RejectError(404)
        if not self.spec.invoker_iam_disabled:
            _, token = _credential(headers)
            self._check_invoker(token)

    def _check_invoker(self, token: str) -> None:
        try:
            claims = self.identity.verify(token, audiences=[self.spec.url])
        except InvalidIdTokenError:
            raise _RejectError(401) from None
        email = claims.get("email")
        if not isinstance(email, str) or email.lower() not in self.spec.invoker_emails:
            raise _RejectError(403)

    def forwarded_headers(
        self, headers: Iterable[tuple[str, str]], *, client: str
    ) -> list[tuple[str, str]]:
        """The request headers as the instance receives them."""
        listed = list(headers)
        connection_named = {
            name.strip().lower()
            for key, value in listed
            if key.lower() == "connection"
            for name in value.split(",")
        }
        dropped = _NOT_FORWARDED | connection_named
        out = [(k, v) for k, v in listed if k.lower() not in dropped]
        if not self.spec.invoker_iam_disabled:
            checked, _ = _credential(dict(listed))
            out = [(k, _strip_signature(v) if k.lower() == checked else v) for k, v in out]
        return _add_platform_headers(out, client=client)

    def exchange(self, forward: _Forward, *, deadline: float) -> _Exchange:
        """Send one request to the instance in a thread of its own (it outlives a 504).
        Raises TimeoutError when the deadline passed while the instance was starting: the
        timeout includes the instance's startup time (container contract)."""
        instance = self.pool.acquire(deadline=deadline)
        if time.monotonic() >= deadline:
            self.pool.release(instance)
            raise TimeoutError(self.spec.name)
        sent = _Exchange(forward, instance.port, release=lambda: self.pool.release(instance))
        sent.start()
        return sent


# -- headers -------------------------------------------------------------------------------------


class _Headers(dict[str, str]):
    """Request headers by lower-case name, with how many times each appeared."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}
        for key, value in items:
            name = key.lower()
            self.counts[name] = self.counts.get(name, 0) + 1
            self.setdefault(name, value)


def _credential(headers: Mapping[str, str]) -> tuple[str, str]:
    """(the header Cloud Run checks, its bearer token); raises _RejectError(401 or 403)."""
    lowered = headers if isinstance(headers, _Headers) else _Headers(headers.items())
    name = "x-serverless-authorization" if "x-serverless-authorization" in lowered else ""
    name = name or ("authorization" if "authorization" in lowered else "")
    if not name:
        raise _RejectError(403)  # "Calls missing an auth token"
    if isinstance(lowered, _Headers) and lowered.counts.get(name, 1) > 1:
        raise _RejectError(401)  # "Multiple authorization headers are present in the request"
    scheme, _, token = lowered[name].strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or "," in token:
        raise _RejectError(401)  # "The authorization token uses an invalid format"
    return name, token


def _strip_signature(value: str) -> str:
    scheme, _, token = value.strip().partition(" ")
    header, payload, _ = token.strip().split(".", 2)
    return f"{scheme} {header}.{payload}.{SIGNATURE_REMOVED}"


def _add_platform_headers(headers: list[tuple[str, str]], *, client: str) -> list[tuple[str, str]]:
    names = {k.lower() for k, _ in headers}
    forwarded_for = [v for k, v in headers if k.lower() == "x-forwarded-for"]
    out = [(k, v) for k, v in headers if k.lower() not in ("x-forwarded-for", "x-forwarded-proto")]
    out.append(("X-Forwarded-For", ", ".join([*forwarded_for, client])))
    out.append(("X-Forwarded-Proto", "http"))
    if "x-cloud-trace-context" not in names and "traceparent" not in names:
        trace_id, span_id = secrets.token_hex(16), secrets.randbits(63) or 1
        out.append(("X-Cloud-Trace-Context", f"{trace_id}/{span_id};o=1"))
        out.append(("traceparent", f"00-{trace_id}-{span_id:016x}-01"))
    return out


def _internal_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != HOST or not parts.port:
        raise ValueError(f"the service URL must be http://{HOST}:PORT/ (the edge binds it): {url}")
    return HOST, parts.port


# -- the request body ----------------------------------------------------------------------------


def _spool_body(rfile: _Readable, headers: _Headers) -> tuple[IO[bytes], int]:
    """The request body in a spooled temporary file, and its length; raises _RejectError(413)."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        size = _copy_body(rfile, headers, spool.write, limit=MAX_REQUEST_BYTES)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, size


def _copy_body(
    rfile: _Readable, headers: _Headers, sink: Callable[[bytes], object], *, limit: int
) -> int:
    """Read the whole body (Content-Length or chunked) into ``sink``; past ``limit`` bytes the
    rest is read and discarded (up to _DRAIN_LIMIT) and _RejectError(413) raised."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = _chunked(rfile)
    else:
        length = int(headers.get("content-length") or 0)
        if length > _DRAIN_LIMIT:
            raise _RejectError(413, body_read=False)
        chunks = _sized(rfile, length)
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size <= limit:
            sink(chunk)
        elif size > _DRAIN_LIMIT:
            raise _RejectError(413, body_read=False)
    if size > limit:
        raise _RejectError(413, body_read=True)
    return size


def _sized(rfile: _Readable, length: int) -> Iterable[bytes]:
    while length > 0:
        chunk = rfile.read(min(CHUNK, length))
        if not chunk:
            raise ConnectionError("the client closed the connection mid-body")
        length -= len(chunk)
        yield chunk


def _chunked(rfile: _Readable) -> Iterable[bytes]:
    while True:
        line = rfile.readline(1024)
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return
        yield from _sized(rfile, size)
        rfile.readline(8)  # the CRLF after the chunk


def _drain(rfile: _Readable, headers: _Headers) -> bool:
    """Read and discard the body before an error answer; False if the connection must close."""
    try:
        _copy_body(rfile, headers, lambda _: None, limit=_DRAIN_LIMIT)
    except (_RejectError, OSError, ValueError):
        return False
    return True


# -- the upstream exchange -----------------------------------------------------------------------


class _Exchange(threading.Thread):
    """One request to the instance; its response comes back as events on a bounded queue.
    When the edge gives up (504) the exchange carries on and discards the rest, so the
    instance finishes the request as it would on Cloud Run."""

    def __init__(self, forward: _Forward, port: int, *, release: Callable[[], None]) -> None:
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


# -- the HTTP side -------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # a port in use is an error, not a silent second listener

    def __init__(self, address: tuple[str, int], edge: CloudRunEdge, *, external: bool) -> None:
        super().__init__(address, _Handler)
        self.edge = edge
        self.external = external


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def version_string(self) -> str:
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
        headers = _Headers(self.headers.items())
        try:
            edge.admit(headers, external=self.server.external)
            body, length = _spool_body(self.rfile, headers)
        except _RejectError as rejected:
            read = rejected.body_read
            self._answer(
                rejected.status, keep_alive=_drain(self.rfile, headers) if read is None else read
            )
            return
        except ValueError:  # a Content-Length or chunk size that is not a number
            self._answer(400, keep_alive=False)
            return
        client = self.client_address[0]
        forward = _Forward(
            self.command,
            self.path,
            edge.forwarded_headers(self.headers.items(), client=client),
            body,
            length,
        )
        self._relay(forward, deadline=started + edge.spec.timeout_seconds)

    def _relay(self, forward: _Forward, *, deadline: float) -> None:
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

    def _stream(self, exchange: _Exchange, head: Any, *, deadline: float) -> None:
        status, reason, upstream_headers = head
        bodiless = self.command == "HEAD" or status in (204, 304) or status < 200
        chunked = not bodiless and all(k.lower() != "content-length" for k, _ in upstream_headers)
        self.send_response(status, reason)
        for name, value in upstream_headers:
            if name.lower() not in _NOT_RETURNED:
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
        title, message = _MESSAGES[status]
        path = html.escape(self.path.split("?", 1)[0])
        page = (
            f"<html><head><title>{status} {title}</title></head><body>"
            f"<h1>Error: {title}</h1><h2>{message.format(path=f'<code>{path}</code>')}</h2>"
            "</body></html>\n"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(page)))
        if not keep_alive:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page)


# -- several services at once --------------------------------------------------------------------


def start_edges(
    specs: Iterable[ServiceSpec],
    identity: GoogleIdentity,
    platform_env: Callable[[ServiceSpec], Mapping[str, str]],
    *,
    log_dir: Path | None = None,
    workers: int = 4,
) -> dict[str, CloudRunEdge]:
    """One started edge per spec (by ``spec.name``), started in parallel; if any fails to
    start, the ones that did are stopped and the error raised."""
    specs = list(specs)
    edges = {
        s.name: CloudRunEdge(
            s, identity, platform_env=platform_env(s), log_dir=log_dir and log_dir / s.name
        )
        for s in specs
    }
    for edge in edges.values():
        edge.log_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max(1, min(workers, len(edges)))) as pool:
        futures = [pool.submit(edge.start) for edge in edges.values()]
    errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        for edge in edges.values():
            edge.stop()
        raise errors[0]  # type: ignore[misc]
    return edges


# -- the instance --------------------------------------------------------------------------------

READY_TIMEOUT = 90.0  # a cold start of a real function on two busy cores
STOP_TIMEOUT = 10.0  # gunicorn's graceful stop waits for requests in flight; then SIGKILL
REVISION_SUFFIX = "00001-edg"


class InstanceStartError(Exception):
    """The instance exited or did not accept connections in time."""


class NoInstanceError(Exception):
    """No request slot became free before the request's deadline."""


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (for URLs chosen before binding)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def functions_framework() -> str:
    beside = Path(sys.executable).with_name("functions-framework")
    found = str(beside) if beside.is_file() else shutil.which("functions-framework")
    if found is None:
        raise RuntimeError("functions-framework not found (pip install -e '.[dev]')")
    return found


def container_env(spec: ServiceSpec, port: int) -> dict[str, str]:
    """What Cloud Run's container contract adds to a service's environment:
    https://cloud.google.com/run/docs/container-contract#env-vars "The following environment
    variables are automatically added to the running containers: PORT, K_SERVICE (the name of
    the Cloud Run service), K_REVISION (the name of the revision), K_CONFIGURATION (the name of
    the configuration that created the revision)". Revision names are SERVICE-NNNNN-xxx."""
    return {
        "PORT": str(port),
        "K_SERVICE": spec.service_name,
        "K_REVISION": f"{spec.service_name}-{REVISION_SUFFIX}",
        "K_CONFIGURATION": spec.service_name,
    }


def instance_env(spec: ServiceSpec, port: int, platform_env: Mapping[str, str]) -> dict[str, str]:
    """Exactly ``spec.env``, the container contract's variables, and the caller's platform
    variables (emulator hosts, TRENDREEL_GOOGLE_CERTS_URL, HOME, PATH, TMPDIR, and values for
    ``spec.secret_env``). The platform may not override what infra/ or Cloud Run sets."""
    container = container_env(spec, port)
    clash = sorted(set(platform_env) & (set(spec.env) | set(container)))
    if clash:
        raise ValueError(f"platform_env would override {clash} of {spec.name}")
    return {**spec.env, **container, **platform_env}


def _children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (gunicorn's workers under its master)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class _Instance:
    """One functions-framework process tree: a gunicorn master and its worker(s), forked
    without exec, so a worker's command line is its master's (which names our port)."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        self.argv = argv
        self.port = int(argv[argv.index("--port") + 1])
        self.log_path = log
        self.in_flight = 0
        self._log: IO[bytes] = log.open("wb")
        self.popen = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_ready(self, timeout: float) -> None:
        """Until the port accepts TCP (Cloud Run's default startup probe is a TCP check)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise InstanceStartError(f"exited with {self.popen.returncode}:\n{self.tail()}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.5):
                return
            time.sleep(0.05)
        raise InstanceStartError(f"not accepting connections after {timeout:.0f}s:\n{self.tail()}")

    def _is_ours(self, pid: int) -> bool:
        """Whether ``pid`` runs our command line (after the interpreter the shebang adds)."""
        parts = _cmdline(pid).split(b"\0")[:-1]
        args = [a.encode() for a in self.argv[1:]]
        script = Path(self.argv[0]).name.encode()
        return parts[-len(args) :] == args and any(p.endswith(script) for p in parts)

    def processes(self) -> list[int]:
        """The master, its workers, and workers orphaned by a dead master: the same command
        line, which names this instance's own port."""
        pids = {self.pid, *_children(self.pid)}
        for entry in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(ValueError):
                pids.add(int(entry.name))
        return sorted(pid for pid in pids if pid == self.pid or self._is_ours(pid))

    def kill(self) -> None:
        """SIGKILL every process of the instance, as when a container crashes."""
        for pid in self.processes():
            if pid != self.pid or self.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the master (gunicorn stops its workers), SIGKILL whatever is left."""
        workers = self.processes()
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        for pid in {*workers, *self.processes()}:
            if pid != self.pid or self.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        self._log.close()

    def tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


class InstancePool:
    """At most one instance of the service (scaling out is not modelled), with at most
    ``spec.concurrency`` requests in flight to it
    (https://cloud.google.com/run/docs/about-concurrency: "maximum concurrent requests per
    instance"). A request that finds no instance alive starts one and waits for it, as on a
    cold start (https://cloud.google.com/run/docs/about-instance-autoscaling: requests wait for
    an instance that is starting); requests that find it busy wait for a slot, up to their
    deadline. The instance is started with ``--host 127.0.0.1`` on a fresh port each time, so
    a crashed instance's stragglers never collide with its successor."""

    def __init__(
        self,
        spec: ServiceSpec,
        *,
        platform_env: Mapping[str, str],
        source: str | Path | None,
        repo_root: Path | None,
        log_dir: Path,
    ) -> None:
        self.spec = spec
        self.platform_env = dict(platform_env)
        self.repo_root = repo_root or REPO
        self.source = str(source or f"functions/{spec.name}/main.py")
        self.log_dir = log_dir
        instance_env(spec, 0, self.platform_env)  # fail now on a clash, not at the first start
        self._cond = threading.Condition()
        self._instance: _Instance | None = None
        self._generation = 0
        self._retired: list[_Instance] = []

    def start(self) -> None:
        with self._cond:
            self._current()

    def _current(self) -> _Instance:
        """The live instance, started (and waited for) when there is none; under the lock."""
        instance = self._instance
        if instance is not None and instance.alive():
            return instance
        if instance is not None:
            instance.kill()  # a crashed master may leave workers: the whole container is gone
            self._retired.append(instance)
            self._instance = None
        self._generation += 1
        port = free_port()
        argv = [functions_framework(), "--source", self.source, "--target", "handle"]
        argv += ["--host", HOST, "--port", str(port)]
        log = self.log_dir / f"{self.spec.name}-{self._generation}.log"
        started = _Instance(
            argv, instance_env(self.spec, port, self.platform_env), self.repo_root, log
        )
        self._instance = started
        try:
            started.wait_ready(READY_TIMEOUT)
        except InstanceStartError:
            started.kill()
            self._retired.append(started)
            self._instance = None
            raise
        return started

    def acquire(self, *, deadline: float) -> _Instance:
        with self._cond:
            while True:
                instance = self._current()
                if instance.in_flight < self.spec.concurrency:
                    instance.in_flight += 1
                    return instance
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NoInstanceError(self.spec.name)
                self._cond.wait(remaining)

    def release(self, instance: _Instance) -> None:
        with self._cond:
            instance.in_flight -= 1
            self._cond.notify_all()

    def port(self) -> int | None:
        with self._cond:
            instance = self._instance
            return instance.port if instance is not None and instance.alive() else None

    def pid(self) -> int | None:
        with self._cond:
            instance = self._instance
            return instance.pid if instance is not None and instance.alive() else None

    def kill(self) -> None:
        with self._cond:
            if self._instance is not None:
                self._instance.kill()

    def stop(self) -> None:
        with self._cond:
            instances = [*self._retired, *([self._instance] if self._instance else [])]
            self._instance = None
            self._retired = []
        for instance in instances:
            try:
                instance.stop()
            except Exception as exc:  # keep stopping the others
                print(f"stopping {self.spec.name} (pid {instance.pid}): {exc}", file=sys.stderr)

    def log_tail(self, lines: int = 40) -> str:
        with self._cond:
            instance = self._instance or (self._retired[-1] if self._retired else None)
        return instance.tail(lines) if instance is not None else ""
