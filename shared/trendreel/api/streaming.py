"""Serving a local file with HTTP Range support (RFC 9110 §14), in bounded chunks.

One range per request, which is what browsers' media elements ask for. A Range header this
module does not understand (another unit, several ranges, bad syntax) is ignored and the whole
file is served, as the RFC allows; a range starting past the end is 416.

Positions are bounded before ``int()`` (which refuses more than 4,300 digits, a ValueError): a
number of more than ``MAX_DIGITS`` digits is past the end of any file, so a start that long is
416, an end that long is clipped to the file and a suffix that long is the whole file, just as
the number itself would be.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import flask

from trendreel.api.errors import ApiError

CHUNK_BYTES = 64 * 1024
MAX_DIGITS = 18  # 10**18 bytes is an exabyte: no file is that long, and int() stays cheap
BEYOND_ANY_FILE = 10**MAX_DIGITS
_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")  # ASCII digits only (\d is any Unicode digit)


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class RangeNotSatisfiableError(Exception):
    pass


def _significant(digits: str) -> str:
    return digits.lstrip("0") or "0"


def _before(a: str, b: str) -> bool:
    """Whether number ``a`` < number ``b``, compared as digit strings (no int() needed)."""
    x, y = _significant(a), _significant(b)
    return (len(x), x) < (len(y), y)


def _position(digits: str) -> int:
    """The number, saturated at ``BEYOND_ANY_FILE``: every position past it is past the end
    of any file, so they all get the same answer (416 for a start, clipped for an end)."""
    significant = _significant(digits)
    return BEYOND_ANY_FILE if len(significant) > MAX_DIGITS else int(significant)


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The requested range clipped to the file, or None for "send the whole file"."""
    match = _RANGE.fullmatch((header or "").strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        suffix = _position(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiableError
        return ByteRange(max(size - suffix, 0), size - 1)
    if last and _before(last, first):
        return None  # syntactically invalid: ignored
    start = _position(first)
    if start >= size:
        raise RangeNotSatisfiableError
    end = _position(last) if last else size - 1
    return ByteRange(start, min(end, size - 1))


def _chunks(path: Path, start: int, length: int) -> Iterator[bytes]:
    # Opened on first read and closed when the server closes the iterator, even mid-stream.
    with path.open("rb") as fh:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            chunk = fh.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


def send_file(request: flask.Request, path: Path, content_type: str) -> flask.Response:
    stat = path.stat()
    size = stat.st_size
    etag = f'"{size:x}-{stat.st_mtime_ns:x}"'
    header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range != etag:
        header = None  # the client's partial copy is of another version: send it all
    try:
        wanted = parse_range(header, size)
    except RangeNotSatisfiableError:
        raise ApiError(
            416,
            "range_not_satisfiable",
            f"the requested range is outside the {size}-byte file",
            headers={"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"},
        ) from None
    part = wanted or ByteRange(0, size - 1)
    response = flask.Response(
        _chunks(path, part.start, part.length),
        status=206 if wanted else 200,
        mimetype=content_type,
        direct_passthrough=True,
    )
    response.headers["Content-Length"] = str(max(part.length, 0))
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, max-age=300"
    if wanted:
        response.headers["Content-Range"] = f"bytes {part.start}-{part.end}/{size}"
    return response
