"""The request body, read before anything is forwarded.

Request size: https://cloud.google.com/run/quotas, HTTP/1 requests are at most 32 MiB; past it
Cloud Run answers "413 Request Entity Too Large ... Your client issued a request that was too
large" (the page users report). The body is counted while it is spooled to a temporary file
(in memory up to 1 MiB), so the instance never sees an oversized body and memory stays bounded.
Only the body is counted (the docs say "request size")."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from typing import IO, Protocol

from tests.support.cloud_run.answers import RejectError
from tests.support.cloud_run.headers import RequestHeaders

MAX_REQUEST_BYTES = 32 * 1024 * 1024  # HTTP/1 request size limit
CHUNK = 64 * 1024
_SPOOL_IN_MEMORY = 1024 * 1024
_DRAIN_LIMIT = 2 * MAX_REQUEST_BYTES  # bodies read and discarded before an error answer


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


def spool_body(rfile: _Readable, headers: RequestHeaders) -> tuple[IO[bytes], int]:
    """The request body in a spooled temporary file, and its length; raises RejectError(413)."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        size = _copy_body(rfile, headers, spool.write, limit=MAX_REQUEST_BYTES)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, size


def drain(rfile: _Readable, headers: RequestHeaders) -> bool:
    """Read and discard the body before an error answer; False if the connection must close."""
    try:
        _copy_body(rfile, headers, lambda _: None, limit=_DRAIN_LIMIT)
    except (RejectError, OSError, ValueError):
        return False
    return True


def _copy_body(
    rfile: _Readable, headers: RequestHeaders, sink: Callable[[bytes], object], *, limit: int
) -> int:
    """Read the whole body (Content-Length or chunked) into ``sink``; past ``limit`` bytes the
    rest is read and discarded (up to _DRAIN_LIMIT) and RejectError(413) raised."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = _chunked(rfile)
    else:
        length = int(headers.get("content-length") or 0)
        if length > _DRAIN_LIMIT:
            raise RejectError(413, body_read=False)
        chunks = _sized(rfile, length)
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size <= limit:
            sink(chunk)
        elif size > _DRAIN_LIMIT:
            raise RejectError(413, body_read=False)
    if size > limit:
        raise RejectError(413, body_read=True)
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
